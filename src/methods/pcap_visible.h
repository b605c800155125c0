/* pcap_visible.h: included first, before any system header, by every file
 * that includes <pcap/pcap.h>.
 *
 * libpcap's headers use the BSD types (u_int, u_char). Under the
 * -D_POSIX_C_SOURCE the Makefile passes, glibc hides them unless
 * _DEFAULT_SOURCE asks for them, and FreeBSD, OpenBSD and macOS hide them
 * too, but offer no such switch of their own that is portable: there the
 * POSIX restriction is lifted for these files alone, so the system's
 * default (everything visible) applies. */
#ifndef PORTOLAN_PCAP_VISIBLE_H
#define PORTOLAN_PCAP_VISIBLE_H

#ifdef __linux__
#define _DEFAULT_SOURCE 1
#else
#undef _POSIX_C_SOURCE
#endif

#endif
