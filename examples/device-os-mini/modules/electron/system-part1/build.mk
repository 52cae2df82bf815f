include $(SHARED_MODULAR)/part3_build.mk
