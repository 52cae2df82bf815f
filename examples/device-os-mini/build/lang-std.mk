# Language standards used for all sources
CPPFLAGS += -std=gnu++14
CONLYFLAGS += -std=gnu11
