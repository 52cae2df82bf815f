# Device OS release this fixture pretends to be.
VERSION_STRING = 2.3.1

# Numeric form of the release (the system module version of 2.3.1).
VERSION = 2302

CFLAGS += -DSYSTEM_VERSION_STRING=$(VERSION_STRING)
