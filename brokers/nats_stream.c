/* nats_stream.c — the JetStream stream a run publishes to or a sink reads from: created
 * with the URL's settings when missing, otherwise taken as the server holds it. Either
 * way the summary's durability says what the server has (storage, replicas, retention,
 * limits), not what the URL asked; a URL that names a setting the existing stream does
 * not have is an error at open, never a run measured on other settings than it says. */
#include "nats.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *retention_name(jsRetentionPolicy r)
{
    switch (r) {
    case js_InterestPolicy:
        return "interest";
    case js_WorkQueuePolicy:
        return "workqueue";
    default:
        return "limits";
    }
}

/* JetStream says "no limit" with -1 (and 0 for the age): both are 0 here */
static int64_t limit_of(int64_t v)
{
    return v > 0 ? v : 0;
}

void ob_nats_stream_facts(const jsStreamConfig *cfg, bool existed, nats_stream_facts *f)
{
    memset(f, 0, sizeof *f);
    f->known = true;
    f->existed = existed;
    snprintf(f->storage, sizeof f->storage, "%s", cfg->Storage == js_MemoryStorage ? "memory" : "file");
    f->replicas = cfg->Replicas > 0 ? cfg->Replicas : 1;
    snprintf(f->retention, sizeof f->retention, "%s", retention_name(cfg->Retention));
    f->max_msgs = limit_of(cfg->MaxMsgs);
    f->max_bytes = limit_of(cfg->MaxBytes);
    f->max_age_ns = limit_of(cfg->MaxAge);
    size_t used = 0;
    for (int i = 0; i < cfg->SubjectsLen && cfg->Subjects && !f->subjects_cut; i++) {
        int n = snprintf(f->subjects + used, sizeof f->subjects - used, "%s%s", used ? ", " : "",
                         cfg->Subjects[i] ? cfg->Subjects[i] : "");
        if (n < 0 || (size_t)n >= sizeof f->subjects - used) {
            f->subjects[used] = '\0'; /* the whole names only */
            f->subjects_cut = true;
        } else {
            used += (size_t)n;
        }
    }
    if (f->max_msgs == 0 && f->max_bytes == 0 && f->max_age_ns == 0) {
        snprintf(f->limits, sizeof f->limits, "none");
        return;
    }
    size_t n = 0;
    const char *sep = "";
    if (f->max_msgs) {
        n += (size_t)snprintf(f->limits + n, sizeof f->limits - n, "max_msgs %" PRId64, f->max_msgs);
        sep = ", ";
    }
    if (f->max_bytes) {
        n += (size_t)snprintf(f->limits + n, sizeof f->limits - n, "%smax_bytes %" PRId64, sep, f->max_bytes);
        sep = ", ";
    }
    if (f->max_age_ns)
        n += (size_t)snprintf(f->limits + n, sizeof f->limits - n, "%smax_age %.6g s", sep,
                              (double)f->max_age_ns / 1e9);
    /* at a limit the stream drops its oldest records (they may not be persisted yet: lost)
     * or refuses new ones (failed publishes) */
    snprintf(f->limits + n, sizeof f->limits - n, ", discard %s",
             cfg->Discard == js_DiscardNew ? "new" : "old");
}

static int mismatch(const nats_settings *s, const char *key, const char *has, const char *asked, ob_err *err)
{
    return ob_err_setk(err, OB_ERR_REJECTED,
                       "nats: stream %s at %s exists with %s %s, the URL asks for %s=%s (use another stream= "
                       "or delete it: nats stream rm %s)",
                       s->stream, s->address, key, has, key, asked, s->stream);
}

static int limit_matches(const nats_settings *s, unsigned given, const char *key, int64_t has, int64_t asked,
                         ob_err *err)
{
    if (!(s->given & given) || has == asked)
        return 0;
    char h[32], a[32];
    snprintf(h, sizeof h, "%" PRId64, has);
    snprintf(a, sizeof a, "%" PRId64, asked);
    return mismatch(s, key, has ? h : "none", a, err);
}

bool ob_nats_subject_matches(const char *pattern, const char *subject)
{
    for (;;) {
        size_t pl = strcspn(pattern, "."), sl = strcspn(subject, ".");
        if (pl == 1 && pattern[0] == '>' && pattern[1] == '\0')
            return sl > 0;
        if (sl == 0 || !((pl == 1 && pattern[0] == '*') || (pl == sl && strncmp(pattern, subject, pl) == 0)))
            return false;
        pattern += pl;
        subject += sl;
        if (!*pattern || !*subject)
            return !*pattern && !*subject;
        pattern++;
        subject++;
    }
}

bool ob_nats_stream_takes(const nats_stream_facts *f, const char *subject)
{
    if (!f->subjects[0] || f->subjects_cut)
        return true; /* not known */
    char list[sizeof f->subjects];
    snprintf(list, sizeof list, "%s", f->subjects);
    char *save = NULL;
    for (char *p = strtok_r(list, ", ", &save); p; p = strtok_r(NULL, ", ", &save))
        if (ob_nats_subject_matches(p, subject))
            return true;
    return false;
}

int ob_nats_stream_matches(const nats_settings *s, const nats_stream_facts *f, ob_err *err)
{
    char h[32], a[32];
    if ((s->given & NATS_GIVEN_STORAGE) && strcmp(f->storage, s->storage) != 0)
        return mismatch(s, "storage", f->storage, s->storage, err);
    if ((s->given & NATS_GIVEN_REPLICAS) && f->replicas != s->replicas) {
        snprintf(h, sizeof h, "%ld", f->replicas);
        snprintf(a, sizeof a, "%ld", s->replicas);
        return mismatch(s, "replicas", h, a, err);
    }
    if ((s->given & NATS_GIVEN_MAX_AGE) && f->max_age_ns != s->max_age_ns) {
        snprintf(h, sizeof h, "%.6gs", (double)f->max_age_ns / 1e9);
        snprintf(a, sizeof a, "%.6gs", (double)s->max_age_ns / 1e9);
        return mismatch(s, "max_age", f->max_age_ns ? h : "none", a, err);
    }
    return limit_matches(s, NATS_GIVEN_MAX_MSGS, "max_msgs", f->max_msgs, s->max_msgs, err) ||
                   limit_matches(s, NATS_GIVEN_MAX_BYTES, "max_bytes", f->max_bytes, s->max_bytes, err)
               ? -1
               : 0;
}

void ob_nats_consumer_look_up(jsCtx *js, const nats_settings *s, nats_consumer_facts *f)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    memset(f, 0, sizeof *f);
    natsStatus st = js_GetConsumerInfo(&ci, js, s->stream, s->durable, NULL, &jerr);
    f->looked = st == NATS_OK || st == NATS_NOT_FOUND;
    if (st == NATS_OK && ci && ci->Config) {
        f->exists = true;
        f->ack_wait_ms = (long)(ci->Config->AckWait / 1000000);
        f->max_ack_pending = (long)ci->Config->MaxAckPending;
        f->backlog = (int64_t)ci->NumPending + (int64_t)ci->NumAckPending;
    }
    jsConsumerInfo_Destroy(ci);
}
