include $(SHARED_MODULAR)/part1_build.mk
