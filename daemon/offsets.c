/*
 * offsets.c: positions.json, one object per source name with the device,
 * inode and offset just past the last line that was fully handled.  It is
 * only written after the outputs are synced, so a position never runs
 * ahead of what was acknowledged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "offsets.h"

int
offsets_get(const char *state_dir, const char *name, struct source_pos *pos)
{
	json_error_t	 err;
	json_t		*root, *o;
	char		*path;
	int		 rc = -1;

	memset(pos, 0, sizeof *pos);
	if (asprintf(&path, "%s/%s", state_dir, OFFSETS_FILE) == -1)
		fatal("asprintf");
	if ((root = json_load_file(path, 0, &err)) == NULL) {
		if (access(path, F_OK) == 0)
			log_warnx("%s:%d: %s; positions ignored", path,
			    err.line, err.text);
		free(path);
		return -1;
	}
	o = json_object_get(json_object_get(root, "sources"), name);
	if (json_is_object(o)) {
		pos->dev = (uint64_t)json_integer_value(json_object_get(o, "dev"));
		pos->ino = (uint64_t)json_integer_value(json_object_get(o,
		    "inode"));
		pos->offset = (uint64_t)json_integer_value(json_object_get(o,
		    "offset"));
		rc = 0;
	}
	json_decref(root);
	free(path);
	return rc;
}

int
offsets_save(const char *state_dir, struct source **src, size_t n)
{
	struct source_pos	 pos;
	json_t			*root, *srcs, *o;
	char			*path, *tmp, *s;
	size_t			 i, len;
	int			 fd, dfd, rc = -1;

	root = json_object();
	srcs = json_object();
	for (i = 0; i < n; i++) {
		if (src[i]->fd == -1 && src[i]->dev == 0 && src[i]->ino == 0)
			continue;
		source_position(src[i], &pos);
		o = json_object();
		json_object_set_new(o, "path", json_string(src[i]->path));
		json_object_set_new(o, "dev", json_integer((json_int_t)pos.dev));
		json_object_set_new(o, "inode",
		    json_integer((json_int_t)pos.ino));
		json_object_set_new(o, "offset",
		    json_integer((json_int_t)pos.offset));
		json_object_set_new(srcs, src[i]->name, o);
	}
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "sources", srcs);
	s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		fatal("json_dumps");
	len = strlen(s);

	if (asprintf(&path, "%s/%s", state_dir, OFFSETS_FILE) == -1 ||
	    asprintf(&tmp, "%s/.%s.tmp", state_dir, OFFSETS_FILE) == -1)
		fatal("asprintf");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		log_warn("%s: write", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		log_warn("rename %s", path);
		unlink(tmp);
		goto out;
	}
	if ((dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(s);
	free(path);
	free(tmp);
	return rc;
}
