/*
 * replay.c: a stand-in for libFuzzer's main, so every fuzz target builds
 * and runs without clang: each argument is a file or a folder of files,
 * each file is fed once to LLVMFuzzerTestOneInput.  make check replays the
 * corpora this way; any crash, leak or sanitizer report fails the test.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf;
	long	 size;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot size\n", path);
		fclose(f);
		return -1;
	}
	/* An exact-size heap copy, so ASan sees any read past the input. */
	if ((buf = malloc(size > 0 ? (size_t)size : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 path[4096];
	int		 i, count = 0, errors = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			errors++;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			errors += replay_file(argv[i]) != 0;
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			errors++;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
			errors += replay_file(path) != 0;
			count++;
		}
		closedir(d);
	}
	printf("replay: %d inputs, %d errors\n", count, errors);
	return errors != 0;
}
