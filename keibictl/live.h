/*
 * live.h: keibictl's side of the control socket.  One request, one
 * answer, over the unix socket of a running keibid (JSON lines, see
 * keibid(8) and control.h).  Commands that change incidents try the
 * daemon first and fall back to the offline store when none answers.
 */
#ifndef KEIBI_LIVE_H
#define KEIBI_LIVE_H

#include <jansson.h>

#define LIVE_OK		1	/* the daemon answered ok: *result set */
#define LIVE_NONE	0	/* no daemon listens: *cause says why */
#define LIVE_ERROR	(-1)	/* the daemon refused or failed: *cause */

#define LIVE_EXIT_DOWN	3	/* exit status when no daemon answers */

/* The socket -s names, or NULL. */
extern const char	*live_socket_path;

/*
 * The socket keibictl talks to: -s, else the configuration's
 * control_socket, else the default.  Static or owned by the config.
 */
const char	*live_socket(void);

/*
 * Send req (a JSON object with "cmd") and read the answer.  Returns
 * LIVE_OK with *result (owned by the caller), LIVE_NONE when nothing
 * listens on the socket, or LIVE_ERROR; *cause (malloc'd) unless LIVE_OK.
 */
int		 live_request(json_t *req, json_t **result, char **cause);

#endif
