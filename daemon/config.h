/*
 * config.h - peerdiscd's configuration: the key table, the parsed value
 * (struct pd_config) and the functions that read, check, print and diff
 * it.
 *
 * One row of pd_config_table (config-table.c) per key of design.md's
 * table drives everything: parsing, range checks, defaults,
 * --print-config, reload and the shipped conf/peerdiscd.conf (a unit test
 * checks that file against the table).  A parse always produces a fresh
 * struct pd_config; a reload parses a second one and moves the live keys
 * across with config_apply_live().
 */
#ifndef PD_DAEMON_CONFIG_H
#define PD_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct paths_env;

#define PD_CONFIG_MAX_FILE (1024 * 1024)	/* bytes of a conf file */
#define PD_CONFIG_MAX_LINE 196		/* chars per line (inih's buffer: 200) */
#define PD_CONFIG_MAX_ERRORS 100	/* errors kept; the rest are counted */
#define PD_CONFIG_MAX_LIST 64		/* items per list value */
#define PD_CONFIG_MAX_ITEM 180		/* chars per list item */
#define PD_CONFIG_MAX_STRING 160	/* chars of a path or string value */
#define PD_CONFIG_MAX_SOCKET 107	/* chars of control.socket (sun_path) */
#define PD_CONFIG_MAX_SECTION 48	/* chars of a section name */
#define PD_CONFIG_MAX_KEYS 64		/* rows in the table */

/* Value types; each names how a row's text becomes its field. */
enum pd_config_type {
	PD_CONFIG_BOOL,			/* bool: yes/no true/false on/off 1/0 */
	PD_CONFIG_UINT,			/* unsigned int within min..max */
	PD_CONFIG_DURATION,		/* uint64_t ms within min..max */
	PD_CONFIG_STRING,		/* char *, checked by the row */
	PD_CONFIG_PATH,			/* char *, absolute or "" */
	PD_CONFIG_LIST,			/* pd_config_list of words */
	PD_CONFIG_MULTIADDR_LIST,	/* pd_config_list of canonical multiaddrs */
	PD_CONFIG_PEERID_LIST,		/* pd_config_list of base58 peer IDs */
	PD_CONFIG_ENUM,			/* int index into row->choices */
	PD_CONFIG_MODE,			/* unsigned int octal mode <= max */
	PD_CONFIG_LOGLEVEL,		/* int holding an enum pd_log_level */
};

/* dht.diversity_filter, in the order the manager takes (0 off). */
enum pd_config_dht_diversity {
	PD_CONFIG_DIVERSITY_OFF,	/* no IP-group caps */
	PD_CONFIG_DIVERSITY_PUBLIC,	/* caps public addresses only */
	PD_CONFIG_DIVERSITY_ALL,	/* loopback and private count too */
};

enum pd_config_dht_mode {
	PD_CONFIG_DHT_SERVER,		/* answers queries */
	PD_CONFIG_DHT_CLIENT,		/* only asks */
};

/* An owned list of owned, NUL-terminated items (at most PD_CONFIG_MAX_LIST). */
struct pd_config_list {
	size_t n;
	char **items;
};

/*
 * A whole configuration.  Every string and list is owned by the struct
 * and never NULL after a successful parse; "" or an empty list means
 * "none".  Paths whose default depends on the environment (state_dir,
 * identity, store_file, socket) hold the resolved, absolute path.
 */
struct pd_config {
	/* [node] */
	char *node_state_dir;
	char *node_identity;
	struct pd_config_list node_listen;
	struct pd_config_list node_announce;	/* empty: the listen addrs */
	char *node_private_network;		/* "": no pnet */
	/* [peers] */
	unsigned int peers_max_peers;
	unsigned int peers_min_peers;
	uint64_t peers_grace_period;		/* ms */
	uint64_t peers_connection_timeout;	/* ms */
	uint64_t peers_retry_interval;		/* ms */
	unsigned int peers_max_per_ip;
	unsigned int peers_max_inbound;		/* 0: max_peers */
	unsigned int peers_inbound_rate_per_ip;	/* per minute, 0: off */
	bool peers_rate_limit_loopback;
	unsigned int peers_dial_max_inflight;
	unsigned int peers_dial_per_minute;
	struct pd_config_list peers_protected;
	char *peers_store_file;
	unsigned int peers_store_max;
	uint64_t peers_save_interval;		/* ms */
	/* [dht] */
	bool dht_enabled;
	int dht_mode;				/* enum pd_config_dht_mode */
	char *dht_protocol;
	unsigned int dht_bucket_size;
	uint64_t dht_refresh_interval;		/* ms */
	struct pd_config_list dht_advertise;
	int dht_diversity;			/* enum pd_config_dht_diversity */
	unsigned int dht_peer_request_rate;	/* per second; 0 unlimited */
	/* [mdns] */
	bool mdns_enabled;
	struct pd_config_list mdns_interfaces;	/* empty: all usable */
	struct pd_config_list mdns_deny_interfaces;
	uint64_t mdns_interval;			/* ms */
	char *mdns_service;
	/* [bootstrap] */
	bool bootstrap_enabled;
	struct pd_config_list bootstrap_peers;
	char *bootstrap_nameserver;		/* "": /etc/resolv.conf */
	/* [control] */
	char *control_socket;
	unsigned int control_socket_mode;
	char *control_admin_group;		/* "": none */
	/* [log] */
	int log_level;				/* enum pd_log_level */
};

/*
 * One key.  def is the default in conf-file syntax ("" for none, or for
 * a path computed from the environment when derived is set); bounds are
 * inclusive: values for uint, milliseconds for durations, the largest
 * mode for modes.  check (may be NULL) vets one string value or list item
 * after the type's own checks.
 */
struct pd_config_row {
	const char *section;
	const char *key;
	enum pd_config_type type;
	const char *def;
	uint64_t min, max;
	const char *unit;		/* for messages and docs, or NULL */
	const char *const *choices;	/* PD_CONFIG_ENUM: NULL-terminated */
	size_t offset;			/* of the field in struct pd_config */
	bool live;			/* applied by a reload without restart */
	bool derived;			/* "" means computed from the environment */
	int (*check)(const char *value, char *why, size_t whylen);
	const char *help;		/* one line */
};

extern const struct pd_config_row pd_config_table[];
extern const size_t pd_config_table_len;

/* Errors collected by a parse, each "FILE:LINE: section.key: message". */
struct pd_config_errors {
	size_t n;			/* kept in msgs */
	size_t dropped;			/* beyond PD_CONFIG_MAX_ERRORS */
	char *msgs[PD_CONFIG_MAX_ERRORS];
};

/* Find a row by section and key; NULL if there is none. */
const struct pd_config_row *config_row_find(const char *section,
    const char *key);
/* True if section names a section of the table. */
bool config_section_known(const char *section);

/*
 * Parse len bytes of conf text (name is used in messages) over the table
 * defaults, resolve the environment-dependent paths with env, and run the
 * cross-key checks.  Returns 0 with *cfg filled; or -1 with every problem
 * appended to errs and *cfg zeroed.  Either way the caller owns what is
 * in cfg and errs (config_clear(), config_errors_clear()).
 */
int config_parse_buffer(const char *name, const char *data, size_t len,
    const struct paths_env *env, struct pd_config *cfg,
    struct pd_config_errors *errs);

/*
 * As config_parse_buffer() on the contents of path, or on no text at all
 * (built-in defaults) when path is NULL.  An unreadable or oversized file
 * is one error naming the path.
 */
int config_load(const char *path, const struct paths_env *env,
    struct pd_config *cfg, struct pd_config_errors *errs);

/* Free what cfg owns and zero it.  Safe on a zeroed struct. */
void config_clear(struct pd_config *cfg);

/* True if the values of row in a and b are equal. */
bool config_row_equal(const struct pd_config_row *row,
    const struct pd_config *a, const struct pd_config *b);
/* True if every key of a and b is equal. */
bool config_equal(const struct pd_config *a, const struct pd_config *b);

/*
 * Write cfg as a conf file: every section in table order, every key with
 * its effective value, long lists wrapped onto indented continuation
 * lines.  The output parses back to an equal struct pd_config.  Returns
 * 0, or -1 if writing failed.
 */
int config_print(FILE *f, const struct pd_config *cfg);

/*
 * Write row's value from cfg in conf syntax into buf (lists joined with
 * single spaces, truncated with "..." if buf is too small).
 */
void config_format_value(const struct pd_config_row *row,
    const struct pd_config *cfg, char *buf, size_t len);

/*
 * Reload helper: for every key whose value differs between running and
 * next, call cb(row, applied, arg).  Live keys are applied by swapping
 * the values (running takes next's, next keeps the old one; nothing is
 * allocated); others are left as they run (applied false: needs a
 * restart).  Returns the number of keys that differ.
 */
size_t config_apply_live(struct pd_config *running, struct pd_config *next,
    void (*cb)(const struct pd_config_row *row, bool applied, void *arg),
    void *arg);

/* Append a message (printf-style) to errs, or count it as dropped. */
void config_errors_add(struct pd_config_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print every message, one per line, and a count of dropped ones. */
void config_errors_print(FILE *f, const struct pd_config_errors *errs);
/* Free the messages and zero errs. */
void config_errors_clear(struct pd_config_errors *errs);

#endif
