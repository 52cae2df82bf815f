include $(COMMON_BUILD)/os.mk
include $(COMMON_BUILD)/verbose.mk

# rwildcard dir/,pattern - files matching pattern anywhere below dir (dir ends with /)
rwildcard = $(wildcard $1$2) $(foreach d,$(wildcard $1*),$(call rwildcard,$d/,$2))

# target_files subdir,pattern - sources below $(SOURCE_PATH)/subdir, relative to $(SOURCE_PATH)
target_files = $(patsubst $(SOURCE_PATH)/%,%,$(call rwildcard,$(SOURCE_PATH)/$1,$2))

remove_slash = $(patsubst %/,%,$1)

# target_files_dirs dirs,subdir,pattern - sources below each <dir>/subdir, named
# <notdir dir>/<path below dir> (how library objects are placed in BUILD_PATH)
target_files_dirs = $(foreach d,$(call remove_slash,$1),$(patsubst $d/%,$(notdir $d)/%,$(call rwildcard,$d/$2,$3)))
appendir = $(and $1,/$1)

ifeq ($(MAKE_OS),OSX)
filesize = `stat -f%z $1`
else
filesize = `stat -c %s $1`
endif

check_modular = $(if $(PLATFORM_DYNALIB_MODULES),,$(error "Platform '$(PLATFORM)' does not support dynamic modules"))
