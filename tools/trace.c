/* trace.c: event lines and the netstat-state explainers. The Chinese terms are taken from the
 * primer (shared/seed/netstat-states.zh.txt) our users learned from; where the primer slips
 * (LAST-ACT, CLOSING "waiting for FIN", timed CLOSING), the English follows RFC 9293. */
#include "trace.h"

#include <stdint.h>
#include <string.h>

#define C_RESET "\033[0m"

typedef struct state_text {
    const char *zh;      /* the primer's words, shortened to a term */
    const char *meaning; /* RFC 9293 3.3.2, in netstat terms */
} state_text;

static const state_text texts[SYNACK_STATE_COUNT] = {
    [SYNACK_CLOSED] = {"没有任何连接状态",
                       "no connection; a socket whose connection failed or ended shows it until the "
                       "application closes it"},
    [SYNACK_LISTEN] = {"侦听连接请求", "waiting for SYNs (connection requests) on a local port"},
    [SYNACK_SYN_SENT] = {"等待匹配的连接请求",
                         "connect() sent a SYN; waiting for the peer's SYN-ACK"},
    [SYNACK_SYN_RECEIVED] = {"等待对方对连接请求的确认",
                             "got a SYN and answered SYN-ACK; waiting for the ACK that ends the "
                             "handshake"},
    [SYNACK_ESTABLISHED] = {"代表一个打开的连接", "handshake done: an open connection, data flows both ways"},
    [SYNACK_CLOSE_WAIT] = {"等待从本地用户发来的连接中断请求",
                           "the peer sent FIN (it will send no more); waiting for our application "
                           "to close()"},
    [SYNACK_FIN_WAIT_1] = {"等待先前的连接中断请求的确认",
                           "we closed and sent FIN; waiting for its ACK (or the peer's FIN)"},
    [SYNACK_CLOSING] = {"等待远程TCP对连接中断的确认",
                        "both sides sent FIN at once; we have the peer's FIN and wait for the ACK "
                        "of ours"},
    [SYNACK_LAST_ACK] = {"等待原来的发向远程TCP的连接中断请求的确认",
                         "the peer closed first, then we did and sent FIN; waiting for its ACK"},
    [SYNACK_FIN_WAIT_2] = {"从远程TCP等待连接中断请求",
                           "our FIN is acknowledged; waiting for the peer to close and send its FIN"},
    [SYNACK_TIME_WAIT] = {"等待2MSL",
                          "both FINs acknowledged; waits 2*MSL so a lost last ACK can be resent and "
                          "old duplicates die out"},
};

const char *trace_state_zh(int state)
{
    return state >= 0 && state < SYNACK_STATE_COUNT ? texts[state].zh : "?";
}

const char *trace_state_meaning(int state)
{
    return state >= 0 && state < SYNACK_STATE_COUNT ? texts[state].meaning : "?";
}

void trace_line_start(FILE *out, const char *tag, synack_time_us t)
{
    char tm[32];
    snprintf(tm, sizeof tm, "%llu.%06lu", (unsigned long long)(t / 1000000u),
             (unsigned long)(t % 1000000u));
    fprintf(out, "  %-*s %*s  ", TRACE_TAG_WIDTH, tag ? tag : "", TRACE_TIME_WIDTH, tm);
}

bool trace_event_shown(const synack_event *ev)
{
    return ev->type != SYNACK_EV_READABLE && ev->type != SYNACK_EV_WRITABLE;
}

bool trace_print_event(FILE *out, const char *tag, const synack_event *ev, bool color)
{
    const char *col;
    if (!trace_event_shown(ev)) return false;
    switch (ev->type) {
    case SYNACK_EV_STATE: col = "\033[36m"; break;   /* cyan: the state machine moved */
    case SYNACK_EV_TIMER: col = "\033[34m"; break;   /* blue: time did something */
    case SYNACK_EV_ERROR: col = "\033[1;31m"; break; /* what the application will be told */
    case SYNACK_EV_CONNECTED:
    case SYNACK_EV_ACCEPTABLE: col = "\033[36m"; break;
    default: col = ""; break;
    }
    char buf[256];
    synack_event_format(ev, buf, sizeof buf);
    /* The formatted line starts with its own right-aligned time; we print the time in our column,
     * so skip that token and keep the rest as the library wrote it. */
    const char *rest = buf;
    while (*rest == ' ') rest++;
    while (*rest && *rest != ' ') rest++;
    while (*rest == ' ') rest++;
    trace_line_start(out, tag, ev->time);
    fprintf(out, "%s%s%s\n", color ? col : "", rest, color ? C_RESET : "");
    return true;
}

/* Terminal columns of UTF-8 text: the primer's CJK characters take two. Treating every code
 * point from U+2E80 up as wide is exact for the text we print (ASCII and CJK ideographs). */
static size_t display_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        uint32_t cp = c;
        if (len == 3 && i + 2 < n)
            cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[i + 1] & 0x3f) << 6 | (uint32_t)(s[i + 2] & 0x3f);
        w += len >= 3 && cp >= 0x2e80 ? 2 : 1;
        i += len;
    }
    return w;
}

void trace_print_explainer(FILE *out, int state, bool color)
{
    char head[160];
    snprintf(head, sizeof head, "= %s (%s): ", synack_state_rfc_name(state), trace_state_zh(state));
    const char *text = trace_state_meaning(state);
    size_t indent = strlen(TRACE_INDENT);
    size_t col = indent + display_width(head, strlen(head));
    fprintf(out, "%s%s%s", TRACE_INDENT, color ? "\033[2m" : "", head);
    /* Word-wrap the meaning; continuation lines sit two columns in from the '='. */
    bool first = true;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (!first && col + 1 + word > TRACE_WRAP_COLUMN) {
            fprintf(out, "\n%s  ", TRACE_INDENT);
            col = indent + 2;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)word, text);
        col += word;
        text += word;
        while (*text == ' ') text++;
        first = false;
    }
    fprintf(out, "%s\n", color ? C_RESET : "");
}
