/*
 * parse.h - small text parsers shared by the daemon's config file, the
 * command line and the control methods: durations, booleans, bounded
 * unsigned integers, octal file modes and whitespace-separated lists.
 *
 * Every parser takes a NUL-terminated string that must be consumed
 * entirely (no leading or trailing whitespace, no trailing junk), writes
 * its result through a ret_* pointer that is left untouched on failure,
 * and explains a failure in why (may be NULL) without allocating.
 */
#ifndef PD_CORE_PARSE_H
#define PD_CORE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PD_PARSE_MAX_DIGITS 32		/* longer numbers are refused early */
#define PD_PARSE_DURATION_TEXT_MAX 24	/* formatted duration incl. NUL */
#define PD_PARSE_MAX_MODE 07777		/* largest file mode accepted */

/*
 * Duration: one or more terms "<digits><unit>", unit one of ms, s, m, h,
 * with units in decreasing order and each used once ("1h30m", "90s",
 * "250ms"); "0" alone is zero.  The value in milliseconds must lie in
 * [min_ms, max_ms].  Returns 0, PD_ERR_MALFORMED (syntax) or
 * PD_ERR_OVERFLOW (too large for 64 bits, or outside the bounds).
 */
int pd_parse_duration(const char *s, uint64_t min_ms, uint64_t max_ms,
    uint64_t *ret_ms, char *why, size_t whylen);

/*
 * Format ms with the largest unit that divides it exactly ("1h", "90s",
 * "1500ms", "0s"), so pd_parse_duration() reads back the same value.
 * Returns the length written (without the NUL) or PD_ERR_OVERFLOW when
 * outlen is too small (PD_PARSE_DURATION_TEXT_MAX always suffices).
 */
int pd_parse_duration_format(uint64_t ms, char *out, size_t outlen);

/*
 * Boolean: yes/no, true/false, on/off, 1/0, in any letter case.
 * Returns 0 or PD_ERR_MALFORMED.
 */
int pd_parse_bool(const char *s, bool *ret_value, char *why, size_t whylen);

/*
 * Unsigned decimal integer (digits only, no sign) within [min, max].
 * Returns 0, PD_ERR_MALFORMED or PD_ERR_OVERFLOW (over 64 bits or outside
 * the bounds).
 */
int pd_parse_uint(const char *s, uint64_t min, uint64_t max,
    uint64_t *ret_value, char *why, size_t whylen);

/*
 * File mode in octal ("0660", "660", "0o660" is refused), at most max
 * (which is capped at PD_PARSE_MAX_MODE).  Returns 0, PD_ERR_MALFORMED or
 * PD_ERR_OVERFLOW.
 */
int pd_parse_mode(const char *s, unsigned int max, unsigned int *ret_mode,
    char *why, size_t whylen);

/*
 * Iterate over the whitespace-separated items of a list.  Start with
 * *cursor = s; each call skips whitespace, stores the next item's start
 * in *ret_item and its length in *ret_len (the item is not terminated),
 * advances *cursor past it and returns 1; returns 0 when no item is
 * left.  Never allocates; an empty or all-blank string is an empty list.
 */
int pd_parse_list_next(const char **cursor, const char **ret_item,
    size_t *ret_len);

/* Number of items pd_parse_list_next() would return for s. */
size_t pd_parse_list_count(const char *s);

/* True for the characters the list parser treats as separators. */
bool pd_parse_is_space(int c);

#endif
