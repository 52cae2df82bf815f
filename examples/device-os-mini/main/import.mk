include $(PROJECT_ROOT)/modules/shared/system_module_version.mk
