# Common part of every library and module makefile: collects the sources,
# defines how to compile, archive, link and post-process them, and recurses
# into the libraries listed in MAKE_DEPENDENCIES (see recurse.mk).
include $(COMMON_BUILD)/macros.mk

SOURCE_PATH ?= $(MODULE_PATH)

# this directory's own exports (include directories, library location)
include $(MODULE_PATH)/import.mk

# and those of everything it depends on, so that -I paths and library
# locations of the dependencies are known here
DEPS_INCLUDE_SCRIPTS = $(foreach module,$(DEPENDENCIES),$(PROJECT_ROOT)/$(module)/import.mk)
include $(DEPS_INCLUDE_SCRIPTS)

include $(COMMON_BUILD)/module-defaults.mk

# the sources: every build.mk below this directory
include $(call rwildcard,$(MODULE_PATH)/,build.mk)

ifneq ("$(TARGET_PATH)","$(dir $(TARGET_PATH))")
TARGET_SEP = /
endif

TARGET_FILE_NAME ?= $(MODULE)

# defines set by a module (MODULE_FUNCTION, MODULE_INDEX, ...) and passed to the
# libraries it builds through the environment
ifneq (,$(GLOBAL_DEFINES))
CFLAGS += $(addprefix -D,$(GLOBAL_DEFINES))
export GLOBAL_DEFINES
endif

CFLAGS += -D_GNU_SOURCE

ifneq (,$(LOG_MODULE_CATEGORY))
CFLAGS += -DLOG_MODULE_CATEGORY="\"$(LOG_MODULE_CATEGORY)\""
endif

# Library sources (MODULE_LIBSV1/MODULE_LIBSV2, set by user/build.mk): a v1
# library is compiled whole, a v2 library only below its src/. Both are on the
# include path. They follow the module's own sources.
LIBCPPSRC += $(call target_files_dirs,$(MODULE_LIBSV1),,*.cpp)
LIBCSRC += $(call target_files_dirs,$(MODULE_LIBSV1),,*.c)
LIBCPPSRC += $(call target_files_dirs,$(MODULE_LIBSV2)/,src/,*.cpp)
LIBCSRC += $(call target_files_dirs,$(MODULE_LIBSV2)/,src/,*.c)
CPPSRC += $(LIBCPPSRC)
CSRC += $(LIBCSRC)
INCLUDE_DIRS += $(MODULE_LIBSV1)
INCLUDE_DIRS += $(addsuffix /src,$(MODULE_LIBSV2))

# objects and dependency files; assembler sources under build/arm go to BUILD_PATH/<subdir>
ALLOBJ += $(addprefix $(BUILD_PATH)/, $(patsubst $(COMMON_BUILD)/arm/%,%,$(ASRC:.S=.o)))
ALLOBJ += $(addprefix $(BUILD_PATH)/, $(CSRC:.c=.o))
ALLOBJ += $(addprefix $(BUILD_PATH)/, $(CPPSRC:.cpp=.o))

ALLDEPS += $(addprefix $(BUILD_PATH)/, $(patsubst $(COMMON_BUILD)/arm/%,%,$(ASRC:.S=.o.d)))
ALLDEPS += $(addprefix $(BUILD_PATH)/, $(CSRC:.c=.o.d))
ALLDEPS += $(addprefix $(BUILD_PATH)/, $(CPPSRC:.cpp=.o.d))

# The libraries are built first (MAKE_DEPENDENCIES), then this directory's target(s).
all: prebuild $(MAKE_DEPENDENCIES) $(TARGET) postbuild

elf: $(TARGET_BASE).elf
bin: $(TARGET_BASE).bin
hex: $(TARGET_BASE).hex
lst: $(TARGET_BASE).lst
none:
	;

# Build the .dfu file(s) without flashing (not in Device OS, which only makes
# the .dfu as part of program-dfu).
dfu: $(MAKE_DEPENDENCIES) $(TARGET_BASE).dfu

# Flash with dfu-util; the device must be in DFU mode (blinking yellow).
# 'make program-dfu DFU=true' builds the .dfu files and skips the flashing.
program-dfu: $(MAKE_DEPENDENCIES) $(TARGET_BASE).dfu
	@echo Flashing using dfu:
	$(DFU) -d $(USBD_VID_SPARK):$(USBD_PID_DFU) -a 0 -s $(PLATFORM_DFU)$(if $(PLATFORM_DFU_LEAVE),:leave) -D $(lastword $^)

size: $(TARGET_BASE).elf
	$(VERBOSE)$(SIZE) --format=berkeley $<

%.lst: %.elf
	$(VERBOSE)$(OBJDUMP) -h -S $< > $@

%.hex: %.elf
	$(VERBOSE)$(OBJCOPY) -O ihex $< $@

# .dfu = .bin + DFU suffix with the platform's DFU VID:PID
%.dfu: %.bin
	@cp $< $@
	$(DFUSUFFIX) -v $(subst 0x,,$(USBD_VID_SPARK)) -p $(subst 0x,,$(USBD_PID_DFU)) -a $@

# The last CRC_BLOCK_LEN bytes of a linked module are placeholders: SHA-256
# 01 02 .. 20, suffix size 0x0028 (LE) and CRC 0x12345678 (LE). The .bin rule
# checks them, then writes the SHA-256 of everything before them and finally
# the CRC-32 of everything but the last 4 bytes, big-endian.
CRC_LEN = 4
CRC_BLOCK_LEN = 38
DEFAULT_SHA_256 = 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
MOD_INFO_SUFFIX_LEN ?= 2800
MOD_INFO_SUFFIX = $(DEFAULT_SHA_256)$(MOD_INFO_SUFFIX_LEN)
CRC_BLOCK_CONTENTS = $(MOD_INFO_SUFFIX)78563412

# macOS and Debian have shasum, other systems sha256sum
SHASUM_COMMAND_VERSION := $(shell shasum --version 2>/dev/null)
SHA256SUM_COMMAND_VERSION := $(shell sha256sum --version 2>/dev/null)
ifdef SHASUM_COMMAND_VERSION
SHA_256 = shasum -a 256
else ifdef SHA256SUM_COMMAND_VERSION
SHA_256 = sha256sum
endif

%.bin: %.elf
	$(call echo,'Invoking: ARM GNU Create Flash Image')
	$(VERBOSE)$(OBJCOPY) -O binary $< $@.pre_crc
	$(VERBOSE)if [ -s $@.pre_crc ]; then \
	head -c $$(($(call filesize,$@.pre_crc) - $(CRC_BLOCK_LEN))) $@.pre_crc > $@.no_crc && \
	tail -c $(CRC_BLOCK_LEN) $@.pre_crc > $@.crc_block && \
	test "$(CRC_BLOCK_CONTENTS)" = `xxd -p -c 500 $@.crc_block` && \
	$(SHA_256) $@.no_crc | cut -c 1-65 | $(XXD) -r -p | dd bs=1 of=$@.pre_crc seek=$$(($(call filesize,$@.pre_crc) - $(CRC_BLOCK_LEN))) conv=notrunc $(VERBOSE_REDIRECT) && \
	head -c $$(($(call filesize,$@.pre_crc) - $(CRC_LEN))) $@.pre_crc > $@.no_crc && \
	 $(CRC) $@.no_crc | cut -c 1-10 | $(XXD) -r -p | dd bs=1 of=$@.pre_crc seek=$$(($(call filesize,$@.pre_crc) - $(CRC_LEN))) conv=notrunc $(VERBOSE_REDIRECT);\
	fi
	$(VERBOSE)[ ! -f $@ ] || rm $@
	$(VERBOSE)mv $@.pre_crc $@
	$(call echo,)

# link (modules)
$(TARGET_BASE).elf: $(ALLOBJ) $(LIB_DEPS) $(LINKER_DEPS)
	$(call echo,'Building target: $@')
	$(call echo,'Invoking: ARM GCC C++ Linker')
	$(VERBOSE)$(MKDIR) $(dir $@)
	$(VERBOSE)$(CPP) $(CFLAGS) $(ALLOBJ) --output $@ $(LDFLAGS)
	$(call echo,)

# archive (libraries)
$(TARGET_BASE).a: $(ALLOBJ)
	$(call echo,'Building target: $@')
	$(call echo,'Invoking: ARM GCC Archiver')
	$(VERBOSE)$(MKDIR) $(dir $@)
	$(VERBOSE)$(AR) -cr $@ $^
	$(call echo,)

# The library archives in LIB_DEPS are made by the sub-makes of
# MAKE_DEPENDENCIES, not by this makefile. Device OS has no rule for them, so a
# dry run (make -n) on an empty build directory stops at the link with
# "No rule to make target '.../libX.a'". This empty rule lets the dry run list
# every command; STRICT_LIB_DEPS=y removes it (Device OS behaviour).
ifneq ($(STRICT_LIB_DEPS),y)
$(LIB_DEPS):
endif

define build_C_file
	$(call echo,'Building c file: $<')
	$(call echo,'Invoking: ARM GCC C Compiler')
	$(VERBOSE)$(MKDIR) $(dir $@)
	$(VERBOSE)$(CC) $(CFLAGS) $(CONLYFLAGS) -c -o $@ $<
	$(call echo,)
endef

define build_CPP_file
	$(call echo,'Building cpp file: $<')
	$(call echo,'Invoking: ARM GCC CPP Compiler')
	$(VERBOSE)$(MKDIR) $(dir $@)
	$(VERBOSE)$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<
	$(call echo,)
endef

$(BUILD_PATH)/%.o: $(SOURCE_PATH)/%.c
	$(build_C_file)

# gcc compiles .cpp as C++
$(BUILD_PATH)/%.o: $(SOURCE_PATH)/%.cpp
	$(build_CPP_file)

# a library's objects go to BUILD_PATH/<library name>/
define build_LIB_files
$(BUILD_PATH)/$(notdir $1)/%.o: $1/%.c
	$$(build_C_file)

$(BUILD_PATH)/$(notdir $1)/%.o: $1/%.cpp
	$$(build_CPP_file)
endef
$(foreach lib,$(MODULE_LIBSV1) $(MODULE_LIBSV2),$(eval $(call build_LIB_files,$(lib))))

# assembler sources live under build/arm
$(BUILD_PATH)/%.o: $(COMMON_BUILD)/arm/%.S
	$(call echo,'Building file: $<')
	$(call echo,'Invoking: ARM GCC Assembler')
	$(VERBOSE)$(MKDIR) $(dir $@)
	$(VERBOSE)$(CC) $(ASFLAGS) -c -o $@ $<
	$(call echo,)

clean: clean_deps
	$(VERBOSE)$(RM) $(ALLOBJ) $(ALLDEPS) $(TARGET)
	$(VERBOSE)$(RMDIR) $(BUILD_PATH)

.PHONY: all prebuild postbuild none elf bin hex lst size dfu program-dfu clean
.SECONDARY:

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

include $(COMMON_BUILD)/recurse.mk

-include $(ALLDEPS)
