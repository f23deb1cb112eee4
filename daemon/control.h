/*
 * control.h: keibid's control socket, the way keibictl talks to a running
 * daemon.  A unix stream socket in the runtime folder, mode 0660 and owned
 * by the control group; every connection's peer is identified with
 * SO_PEERCRED and refused unless it is root, keibid's own user or a member
 * of the group, and every request is logged with the peer's Unix user.
 *
 * The protocol is JSON lines: one request object per line, one response
 * object per line, in order.  A request names its command in "cmd":
 *
 *	{"cmd":"status"}
 *	{"cmd":"reload"}
 *	{"cmd":"ack","id":"KB-2026-11-0007","note":"looking at it"}
 *
 * and the answer is {"ok":true,"result":...} or {"ok":false,"error":"..."}.
 * Requests are bounded (CONTROL_MAX_REQUEST bytes, known keys only, typed
 * and length-checked values), connections too (CONTROL_MAX_CLIENTS at
 * once, CONTROL_MAX_REQUESTS each, an idle timeout).
 */
#ifndef KEIBI_CONTROL_H
#define KEIBI_CONTROL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CONTROL_MAX_REQUEST	8192	/* bytes of one request line */
#define CONTROL_MAX_CLIENTS	16	/* connections at once */
#define CONTROL_MAX_REQUESTS	64	/* requests per connection */
#define CONTROL_IDLE_SEC	30	/* a silent connection is closed */
#define CONTROL_MAX_ID		64	/* bytes of an incident id */
#define CONTROL_MAX_TEXT	4096	/* bytes of a note */
#define CONTROL_MAX_RESPONSE	(16 * 1024 * 1024) /* what keibictl reads */

struct keibid;
struct control;

/* Who sent a request, from SO_PEERCRED. */
struct control_peer {
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	char		 user[64];	/* login name, or the uid in digits */
};

enum control_kind {
	CONTROL_DAEMON,		/* served by the control module itself */
	CONTROL_INCIDENT	/* handed to the incident hook */
};

/* One checked request: the command and its typed arguments. */
struct control_req {
	const struct control_cmd *cmd;
	json_t		*obj;		/* the whole request, owned */
	const char	*id;		/* incident id, or NULL */
	const char	*text;		/* note text, or NULL */
	const char	*status;	/* set_status: the new status */
	const char	*resolution;	/* close: the resolution */
};

/*
 * Incident commands (ack, set_status, close, note) go through this hook:
 * a JSON result (owned by the caller), or NULL with *cause malloc'd.  who
 * is the peer, for the incident's timeline.  The incident manager's hook
 * turns ack into status "acknowledged", close into status "closed" with
 * the resolution, set_status into that status and note into a note, each
 * by who->user.
 */
typedef json_t	*(*control_incident_cb)(void *, const struct control_req *,
		    const struct control_peer *who, char **cause);

/*
 * Parse and check one request line (without its newline).  0 and *req
 * filled, or -1 with a message for the client in err.  Never trusts the
 * line: every byte may be hostile.
 */
int		 control_parse(const char *, size_t, struct control_req *,
		    char *err, size_t errlen);
void		 control_req_free(struct control_req *);
/* Name of a parsed request's command. */
const char	*control_req_name(const struct control_req *);
/* Kind of a parsed request's command. */
enum control_kind control_req_kind(const struct control_req *);

/*
 * Listen on path for kd's loop.  group NULL: keibid's own group.  Returns
 * the control, or NULL with *cause; *busy is set when another process
 * answers on path (another keibid runs), which must stop a start.
 */
struct control	*control_open(struct keibid *, const char *path,
		    const char *group, bool *busy, char **cause);
/*
 * Reload with a new path or group, in two steps so that a failure keeps
 * the old socket.  control_reopen() makes the new control while old still
 * listens: at a new path as control_open() does (refused if another
 * process answers there); at old's own path, bound to "PATH.new" beside it.
 * NULL with *cause.  control_replace() then swaps: "PATH.new" is renamed
 * over PATH (the socket never goes missing), new takes old's counters and
 * incident hook, and old stops listening, removes its socket file (unless
 * it is new's now) and is freed with its last connection, so that the
 * client that asked for the reload still gets its answer.  It returns the
 * control that serves from then on: new, or old if the rename failed
 * (logged).  old may be NULL; to give up on new, control_close() it.
 */
struct control	*control_reopen(struct keibid *, const struct control *old,
		    const char *path, const char *group, char **cause);
struct control	*control_replace(struct control *old, struct control *new);
/*
 * Close every connection (of retired controls too), remove the socket
 * and free; accepts NULL.
 */
void		 control_close(struct control *);
void		 control_set_incidents(struct control *, control_incident_cb,
		    void *);
/* Requests served and refused, for metrics. */
void		 control_counts(const struct control *, uint64_t *served,
		    uint64_t *refused);

/*
 * The daemon's state as keibictl status shows it: sources, rules,
 * correlation, outputs, evidence, reloads and warnings.  Owned by the
 * caller.
 */
json_t		*control_status(struct keibid *);

#endif
