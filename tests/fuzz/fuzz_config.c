/*
 * fuzz_config.c - libFuzzer target for the peerdiscd.conf parser
 * (daemon/config.c): the input is a whole conf file.
 *
 * Invariants (abort() on violation): a failed parse reports at least one
 * error and every error names the file; a successful parse prints
 * (config_print, as --print-config) to text whose lines fit the line
 * limit, which parses back to an equal config and prints identically.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/paths.h"

#define FUZZ_MAX_INPUT (64 * 1024)
#define FUZZ_NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed environment so runs do not depend on the fuzzing host. */
static const struct paths_env fuzz_env = {
	.xdg_state_home = "/home/fuzz/.local/state",
	.xdg_runtime_dir = "/run/user/1000",
	.home = "/home/fuzz",
	.euid = 1000,
};

static char *
fuzz_print(const struct pd_config *cfg, size_t *ret_len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, ret_len);

	if (f == NULL)
		abort();
	if (config_print(f, cfg) < 0)
		abort();
	fclose(f);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_config_errors errs = { 0 };
	struct pd_config cfg, back;
	char *out, *out2;
	size_t len, len2;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (config_parse_buffer(FUZZ_NAME, (const char *)data, size,
	    &fuzz_env, &cfg, &errs) < 0) {
		if (errs.n == 0)
			abort();
		for (size_t i = 0; i < errs.n; i++)
			if (strncmp(errs.msgs[i], FUZZ_NAME,
			    strlen(FUZZ_NAME)) != 0)
				abort();
		config_errors_clear(&errs);
		return 0;
	}
	if (errs.n != 0)
		abort();
	out = fuzz_print(&cfg, &len);
	for (char *line = out; *line != '\0';) {
		size_t n = strcspn(line, "\n");

		if (n > PD_CONFIG_MAX_LINE)
			abort();
		line += n + (line[n] == '\n');
	}
	if (config_parse_buffer("printed", out, len, &fuzz_env, &back,
	    &errs) < 0) {
		config_errors_print(stderr, &errs);
		fprintf(stderr, "--- printed:\n%s", out);
		abort();
	}
	if (!config_equal(&cfg, &back))
		abort();
	out2 = fuzz_print(&back, &len2);
	if (len != len2 || strcmp(out, out2) != 0)
		abort();
	free(out);
	free(out2);
	config_clear(&back);
	config_clear(&cfg);
	return 0;
}
