# Recursive make of the libraries a module depends on.
# MAKE_DEPENDENCIES lists directories (relative to PROJECT_ROOT) that are built
# with their own make before this module; 'clean' cleans them as well.

CLEAN_DEPENDENCIES = $(patsubst %,clean_%,$(MAKE_DEPENDENCIES))

# passed on to the sub-makes through the environment: this is how a module's
# MODULE_FUNCTION/MODULE_INDEX/... defines reach the libraries it links
export GLOBAL_DEFINES
export MODULAR_FIRMWARE

$(MAKE_DEPENDENCIES):
	$(VERBOSE)$(MAKE) -C $(PROJECT_ROOT)/$@ $(SUBDIR_GOALS)

$(CLEAN_DEPENDENCIES):
	$(VERBOSE)$(MAKE) -C $(PROJECT_ROOT)/$(patsubst clean_%,%,$@) clean

clean_deps: $(CLEAN_DEPENDENCIES)
make_deps: $(MAKE_DEPENDENCIES)

.PHONY: make_deps clean_deps $(MAKE_DEPENDENCIES) $(CLEAN_DEPENDENCIES)
