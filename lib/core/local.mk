# lib/core: buffers, codecs, logging, errors.
lib_libpeerdisc_la_SOURCES += \
	lib/core/buf.c lib/core/buf.h \
	lib/core/error.c lib/core/error.h \
	lib/core/log.c lib/core/log.h
