/*
 * tz.c: local civil time to UTC for lines that carry no offset.  Fixed
 * offsets are computed directly; named zones go through the C library
 * (TZ + mktime), which is slow and process-global, so each zone caches the
 * offset of the last local hour it converted and only asks the library
 * again when the hour changes.  A struct tz belongs to one thread; the
 * library calls are serialised by one lock, so threads that each hold
 * their own struct tz (keibictl hunt's workers) may convert at once.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>

#include "log.h"
#include "tz.h"

struct tz {
	char		*name;
	bool		 fixed;
	int32_t		 off;		/* fixed offset */
	/* Cache of a named zone: local hour -> offset. */
	int64_t		 hour_key;	/* local seconds / 3600, or INT64_MIN */
	int32_t		 hour_off;
	int64_t		 utc_key;	/* UTC seconds / 3600, or INT64_MIN */
	int32_t		 utc_off;
};

int64_t
tz_days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's days_from_civil. */
	int64_t		era;
	unsigned int	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (unsigned int)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
tz_civil_from_days(int64_t z, int *year, int *month, int *day)
{
	int64_t		era, y;
	unsigned int	doe, yoe, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(y + (m <= 2));
	*month = (int)m;
	*day = (int)d;
}

/* Hours since the epoch, rounded down (before 1970 too). */
static int64_t
tz_hour_floor(int64_t t)
{
	return t >= 0 ? t / 3600 : -((-t + 3599) / 3600);
}

/* Parse "+09:00", "-0500", "+9"; 0 or -1. */
static int
tz_parse_offset(const char *s, int32_t *off)
{
	int	sign, h = 0, m = 0, n = 0, colon;

	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	while (*s >= '0' && *s <= '9' && n < 2) {
		h = h * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0)
		return -1;
	colon = *s == ':';
	if (colon)
		s++;
	n = 0;
	while (*s >= '0' && *s <= '9' && n < 2) {
		m = m * 10 + (*s++ - '0');
		n++;
	}
	/* Minutes are two digits, and a colon must be followed by them. */
	if (*s != '\0' || h > 14 || m > 59 || n == 1 || (colon && n == 0))
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

/* TZ and the C library's zone state are process-wide. */
static pthread_mutex_t	tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* Run fn with TZ set to the zone's name, restoring it afterwards. */
static char *
tz_enter(const char *name)
{
	const char	*old = getenv("TZ");
	char		*saved = old != NULL ? strdup(old) : NULL;

	setenv("TZ", name, 1);
	tzset();
	return saved;
}

static void
tz_leave(char *saved)
{
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
}

/*
 * True if path is a compiled zone file: a regular file that starts with
 * "TZif".  Folders ("Asia") and the tables beside the zones ("zone.tab")
 * are readable too, and the C library would take them as UTC.
 */
static bool
tz_is_zonefile(const char *path)
{
	struct stat	sb;
	char		magic[4];
	int		fd;
	bool		ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
	    memcmp(magic, "TZif", sizeof magic) == 0;
	close(fd);
	return ok;
}

struct tz *
tz_open(const char *name, const char **cause)
{
	struct tz	*tz;
	char		 path[512];

	if ((tz = calloc(1, sizeof *tz)) == NULL)
		fatal("calloc");
	if ((tz->name = strdup(name)) == NULL)
		fatal("strdup");
	tz->hour_key = tz->utc_key = INT64_MIN;
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 ||
	    strcmp(name, "GMT") == 0) {
		tz->fixed = true;
		return tz;
	}
	if (name[0] == '+' || name[0] == '-') {
		if (tz_parse_offset(name, &tz->off) != 0) {
			*cause = "bad UTC offset (expected +hh:mm)";
			tz_free(tz);
			return NULL;
		}
		tz->fixed = true;
		return tz;
	}
	if (strcmp(name, "local") == 0)
		return tz;
	/* A named zone must exist: the C library takes unknown ones as UTC. */
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL ||
	    (size_t)snprintf(path, sizeof path, "/usr/share/zoneinfo/%s",
	    name) >= sizeof path || !tz_is_zonefile(path)) {
		*cause = "unknown time zone (not in /usr/share/zoneinfo)";
		tz_free(tz);
		return NULL;
	}
	return tz;
}

void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz);
}

const char *
tz_name(const struct tz *tz)
{
	return tz != NULL ? tz->name : "UTC";
}

int64_t
tz_to_utc(const struct tz *ctz, int year, int month, int day, int hour,
    int min, int sec, int32_t *off)
{
	struct tz	*tz = (struct tz *)ctz;	/* the cache is not state */
	int64_t		 local, key;
	struct tm	 tm;
	char		*saved;
	time_t		 t;

	local = tz_days_from_civil(year, month, day) * 86400 +
	    (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
	if (tz == NULL || tz->fixed) {
		*off = tz != NULL ? tz->off : 0;
		return local - *off;
	}
	key = tz_hour_floor(local);
	if (key != tz->hour_key) {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = year - 1900;
		tm.tm_mon = month - 1;
		tm.tm_mday = day;
		tm.tm_hour = hour;
		tm.tm_min = min;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		pthread_mutex_lock(&tz_lock);
		saved = strcmp(tz->name, "local") != 0 ?
		    tz_enter(tz->name) : NULL;
		t = mktime(&tm);
		if (strcmp(tz->name, "local") != 0)
			tz_leave(saved);
		pthread_mutex_unlock(&tz_lock);
		/*
		 * The offset mktime() applied, not tm_gmtoff: in a DST gap
		 * mktime() moves the time forward and tm_gmtoff is that of
		 * the later time, which would put the result an hour before
		 * what mktime() returned.
		 */
		if (t == (time_t)-1)
			tz->hour_off = 0;
		else
			tz->hour_off = (int32_t)(local - (int64_t)t);
		tz->hour_key = key;
	}
	*off = tz->hour_off;
	return local - *off;
}

int32_t
tz_offset_at(const struct tz *ctz, int64_t t)
{
	struct tz	*tz = (struct tz *)ctz;
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		*saved;
	int64_t		 key;

	if (tz == NULL || tz->fixed)
		return tz != NULL ? tz->off : 0;
	key = tz_hour_floor(t);
	if (key != tz->utc_key) {
		pthread_mutex_lock(&tz_lock);
		saved = strcmp(tz->name, "local") != 0 ?
		    tz_enter(tz->name) : NULL;
		if (localtime_r(&tt, &tm) == NULL)
			tz->utc_off = 0;
		else
			tz->utc_off = (int32_t)tm.tm_gmtoff;
		if (strcmp(tz->name, "local") != 0)
			tz_leave(saved);
		pthread_mutex_unlock(&tz_lock);
		tz->utc_key = key;
	}
	return tz->utc_off;
}
