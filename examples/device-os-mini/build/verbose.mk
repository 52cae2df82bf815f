# Verbosity, Device OS style: recipes are echoed (and 'echo' progress lines run)
# unless make was started with -s. Note that the test looks for the letter 's'
# anywhere in MAKEFLAGS, so long options such as --jobserver-auth (added by -jN)
# also switch to quiet mode. v=1 / v=0 on the command line forces either mode.
ifeq (,$(findstring s,$(MAKEFLAGS)))
v ?= 1
else
v ?= 0
endif

ifeq ("$(v)","1")
ECHO = echo
VERBOSE =
VERBOSE_REDIRECT =
else
ECHO = true
VERBOSE = @
VERBOSE_REDIRECT = > /dev/null 2>&1
endif

# $(call echo,text) prints text (or runs 'true text' when quiet)
echo = @$(ECHO) $1
