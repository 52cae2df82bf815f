#include "system_info.h"
#include "module_info.h"
#include "platform_config.h"
#include "flash_mal.h"
#include "spark_wiring_print.h"

namespace {

// Print into a fixed buffer.
class BufferPrint : public Print {
public:
    BufferPrint(char* buffer, size_t size) : buf_(buffer), size_(size), pos_(0) {
        if (size_) {
            buf_[0] = '\0';
        }
    }

    size_t write(uint8_t c) override {
        if (pos_ + 1 >= size_) {
            return 0;
        }
        buf_[pos_++] = (char)c;
        buf_[pos_] = '\0';
        return 1;
    }

    size_t length() const { return pos_; }

private:
    char* buf_;
    size_t size_;
    size_t pos_;
};

struct Slot {
    uint32_t address;
    uint32_t size;
    char store;
};

const Slot slots[] = {
    { BOOTLOADER_START, BOOTLOADER_SIZE, 'm' },
    { SYSTEM_PART1_START, SYSTEM_PART_SIZE, 'm' },
    { SYSTEM_PART2_START, SYSTEM_PART_SIZE, 'm' },
#if SYSTEM_PART_COUNT == 3
    { SYSTEM_PART3_START, SYSTEM_PART_SIZE, 'm' },
#endif
    { USER_PART_START, USER_PART_SIZE, 'm' },
    { FACTORY_PART_START, USER_PART_SIZE, 'f' },
};

char function_letter(uint8_t function) {
    static const char letters[] = "nrbmsucar";
    return function < sizeof(letters) - 1 ? letters[function] : 'n';
}

void print_dependency(Print& out, const module_dependency_t& dep) {
    out.print("{\"f\":\"");
    out.print(function_letter(dep.module_function));
    out.print("\",\"n\":\"");
    out.print((unsigned)dep.module_index);
    out.print("\",\"v\":");
    out.print((unsigned)dep.module_version);
    out.print("}");
}

} // namespace

extern "C" int system_module_info(char* buffer, size_t size) {
    BufferPrint out(buffer, size);
    out.print("{\"p\":");
    out.print((unsigned)PLATFORM_ID);
    out.print(",\"m\":[");
    bool first = true;
    for (const Slot& slot : slots) {
        const module_info_t* info = FLASH_ModuleInfo(slot.address);
        if (!FLASH_ModuleInfoValid(info, slot.address, slot.size)) {
            continue;
        }
        const bool crc_ok = FLASH_VerifyCRC32(info);
        if (!first) {
            out.print(",");
        }
        first = false;
        out.print("{\"s\":");
        out.print((unsigned)slot.size);
        out.print(",\"l\":\"");
        out.print(slot.store);
        out.print("\",\"vc\":30,\"vv\":");
        out.print(crc_ok ? 30u : 28u);
        out.print(",\"f\":\"");
        out.print(function_letter(info->module_function));
        out.print("\",\"n\":\"");
        out.print((unsigned)info->module_index);
        out.print("\",\"v\":");
        out.print((unsigned)info->module_version);
        out.print(",\"d\":[");
        const module_dependency_t deps[2] = { info->dependency, info->dependency2 };
        bool first_dep = true;
        for (const module_dependency_t& dep : deps) {
            if (dep.module_function == MOD_FUNC_NONE) {
                continue;
            }
            if (!first_dep) {
                out.print(",");
            }
            first_dep = false;
            print_dependency(out, dep);
        }
        out.print("]}");
    }
    out.print("]}");
    return (int)out.length();
}
