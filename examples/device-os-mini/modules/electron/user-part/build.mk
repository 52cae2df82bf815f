include $(SHARED_MODULAR)/user_build.mk
