/* netstat_explain.c: `synack netstat --explain`: for each state present, what it means, which
 * side waits for what, which timer ends it and when (from the rows' live timers), and what to
 * check when the counts look wrong. English, and Chinese in the words of the netstat primer
 * synack grew from (with its slips corrected: LAST-ACK, not "LAST-ACT"; in a simultaneous close
 * segments, not timers, lead to CLOSING and TIME-WAIT; the SYN-ACK is the handshake's second
 * segment; MSL is the maximum segment lifetime). State names as RFC 9293 writes them. */
#include <stdarg.h>
#include <string.h>

#include "format.h"
#include "netstat.h"

typedef struct span {
    size_t n;                 /* rows in this state */
    uint64_t lo, hi;          /* time left on their timers (those with one running) */
    size_t timed;
    uint64_t est_lo;          /* earliest establishment deadline, NS_UNKNOWN if none */
    uint32_t max_retrans;     /* consecutive retransmissions, the most among them */
    size_t retrans_rows;      /* rows with at least NS_DIAG_RETRANS_MIN */
    size_t full_listeners;    /* LISTEN: accept queue full */
    const ns_row *full;       /* one of them */
    size_t unread;            /* rows with Recv-Q > 0 */
} span;

static span span_of(int state, const ns_row *rows, size_t n)
{
    span s = {0, NS_UNKNOWN, 0, 0, NS_UNKNOWN, 0, 0, 0, NULL, 0};
    for (size_t i = 0; i < n; i++) {
        const ns_row *r = &rows[i];
        if (r->state != state) continue;
        s.n++;
        if (r->timer != SYNACK_NT_OFF) {
            s.timed++;
            if (r->timer_us < s.lo) s.lo = r->timer_us;
            if (r->timer_us > s.hi) s.hi = r->timer_us;
        }
        if (r->est_left_us < s.est_lo) s.est_lo = r->est_left_us;
        if (r->timer_retrans > s.max_retrans) s.max_retrans = r->timer_retrans;
        if (r->timer_retrans >= NS_DIAG_RETRANS_MIN) s.retrans_rows++;
        if (state == SYNACK_LISTEN && r->send_q && r->recv_q >= r->send_q) {
            s.full_listeners++;
            s.full = r;
        }
        if (r->recv_q) s.unread++;
    }
    return s;
}

typedef struct sb {
    char *p;
    size_t cap, len;
} sb;

static void add(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(sb *b, const char *fmt, ...)
{
    if (b->len >= b->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (k > 0) b->len += (size_t)k < b->cap - b->len ? (size_t)k : b->cap - b->len - 1;
}

/* "in 12.3s" or "in 1.2s to 59.0s" (English), "12.3s后" / "1.2s到59.0s后" (Chinese). */
static void when(sb *b, const span *s, bool zh)
{
    char x[32], y[32];
    fmt_duration(s->lo, x, sizeof x);
    fmt_duration(s->hi, y, sizeof y);
    if (zh) {
        if (s->timed > 1 && strcmp(x, y)) add(b, "%s到%s后", x, y);
        else add(b, "%s后", x);
    } else {
        if (s->timed > 1 && strcmp(x, y)) add(b, "in %s to %s", x, y);
        else add(b, "in %s", x);
    }
}

static void explain_en(sb *b, int state, const span *s, bool host)
{
    char x[32];
    add(b, "%s (%zu): ", synack_state_rfc_name(state), s->n);
    switch (state) {
    case SYNACK_LISTEN:
        add(b, "a server socket waiting for connection requests (SYN) from any remote TCP; it waits "
               "for nobody in particular. No timer ends it: it lasts until the application closes it. "
               "Recv-Q is its accept queue (connections whose three-way handshake is done, waiting "
               "for accept()), Send-Q the queue's limit (the backlog).");
        if (s->full_listeners)
            add(b, " Check: the accept queue of port %u is full (%u of %u): the application accepts "
                   "too slowly, and new handshakes are dropped.", s->full->local.port, s->full->recv_q,
                s->full->send_q);
        break;
    case SYNACK_SYN_SENT:
        add(b, "we sent a connection request (SYN, the first segment of the three-way handshake) "
               "and wait for the remote TCP's SYN-ACK. ");
        if (s->timed) {
            add(b, "The retransmission timer sends the SYN again with backoff, ");
            when(b, s, false);
            add(b, ". ");
        }
        if (s->est_lo != NS_UNKNOWN)
            add(b, "The connection-establishment timer gives up (ETIMEDOUT) in %s at the latest "
                   "(75 s after the connect by default: a BSD tradition, not an RFC 9293 rule).",
                fmt_duration(s->est_lo, x, sizeof x));
        else if (host)
            add(b, "Linux gives up (ETIMEDOUT) after net.ipv4.tcp_syn_retries retransmissions "
                   "(6: about 127 s).");
        if (s->max_retrans >= 2)
            add(b, " Check: %u retransmissions and no answer: the remote host is unreachable or a "
                   "firewall drops the SYN (a closed port would answer at once with RST).",
                s->max_retrans);
        break;
    case SYNACK_SYN_RECEIVED:
        add(b, "we received a connection request (SYN) and sent our SYN-ACK, the second segment of "
               "the three-way handshake; we wait for the remote TCP's ACK, the third. ");
        if (s->timed) {
            add(b, "The retransmission timer sends the SYN-ACK again ");
            when(b, s, false);
            add(b, ". ");
        }
        if (s->est_lo != NS_UNKNOWN)
            add(b, "The connection-establishment timer gives up in %s at the latest.",
                fmt_duration(s->est_lo, x, sizeof x));
        else if (host)
            add(b, "Linux gives up after net.ipv4.tcp_synack_retries retransmissions (5: about 63 s).");
        if (s->n >= NS_DIAG_SYN_RECV_MIN)
            add(b, " Check: many half-open connections: a SYN flood (spoofed sources never answer), "
                   "or the clients' ACKs are lost on the way; SYN cookies keep the listener "
                   "answering.");
        break;
    case SYNACK_ESTABLISHED:
        add(b, "an open connection: data flows both ways, and nobody is closing. No timer ends it "
               "while both sides are alive; the retransmission timer (on) runs while data is "
               "unacknowledged, zero-window probes (probe) while the peer's window is closed, and "
               "keepalive (keepalive) when the application asked for it.");
        if (s->retrans_rows)
            add(b, " Check: %zu connection(s) have retransmitted the same data %u times or more "
                   "(up to %u): the peer may be dead or the path broken; the retransmission limit, "
                   "a user timeout or keepalive will end them.",
                s->retrans_rows, (unsigned)NS_DIAG_RETRANS_MIN, s->max_retrans);
        break;
    case SYNACK_CLOSE_WAIT:
        add(b, "the remote TCP sent its FIN (it has closed its side); we wait for our local "
               "application to close. No timer ends this state: only the application calling "
               "close() does, and then our FIN goes out (LAST-ACK).");
        if (s->unread) add(b, " %zu of them still hold unread data (Recv-Q).", s->unread);
        if (s->n >= NS_DIAG_CLOSE_WAIT_MIN)
            add(b, " Check: %zu connections wait here: the application is not closing its sockets "
                   "(a leak, or a thread stuck before close()).", s->n);
        break;
    case SYNACK_FIN_WAIT_1:
        add(b, "our application closed and we sent our FIN (a connection termination request); we "
               "wait for its ACK, or for the remote TCP's FIN. ");
        if (s->timed) {
            add(b, "The retransmission timer sends the FIN (or unacknowledged data) again ");
            when(b, s, false);
            add(b, ".");
        }
        break;
    case SYNACK_FIN_WAIT_2:
        add(b, "our FIN is acknowledged; we wait for the remote TCP's FIN, which comes when the "
               "remote application closes. ");
        if (s->timed) {
            add(b, "Since our application has closed too, the FIN-WAIT-2 timer ends it ");
            when(b, s, false);
            add(b, host ? " (Linux: net.ipv4.tcp_fin_timeout, 60 s by default)."
                        : " (synack: 10 minutes by default, a BSD tradition, not an RFC 9293 rule).");
        } else {
            add(b, "No timer runs while our application can still read: it waits as long as the "
                   "peer keeps its side open.");
        }
        if (s->n >= NS_DIAG_FIN_WAIT2_MIN)
            add(b, " Check: %zu connections wait here: the peers do not close their side.", s->n);
        break;
    case SYNACK_CLOSING:
        add(b, "both sides sent a FIN at the same time (simultaneous close): we have the remote's "
               "FIN, but ours is not yet acknowledged, and we wait for that ACK. Its arrival, a "
               "segment and not a timer, moves us to TIME-WAIT. ");
        if (s->timed) {
            add(b, "The retransmission timer sends our FIN again ");
            when(b, s, false);
            add(b, ".");
        }
        break;
    case SYNACK_LAST_ACK:
        add(b, "the remote TCP closed first, then our application; we sent our FIN and wait for its "
               "ACK, the last segment. When it comes the connection is CLOSED: the side that "
               "closes second has no TIME-WAIT. ");
        if (s->timed) {
            add(b, "The retransmission timer sends the FIN again ");
            when(b, s, false);
            add(b, ".");
        }
        break;
    case SYNACK_TIME_WAIT:
        add(b, "we closed first and both FINs are acknowledged; we wait twice the maximum segment "
               "lifetime (2*MSL) so that our last ACK can be sent again if the remote's FIN comes "
               "again, and so that old duplicate segments die out before the same 4-tuple is used "
               "again. Nobody else waits. The 2MSL timer ends it ");
        if (s->timed) when(b, s, false);
        add(b, host ? " (Linux: always 60 s)." : " (synack: MSL 30 s by default, so 60 s).");
        break;
    default:
        add(b, "no connection state: the connection has ended (or never opened), and the "
               "application still holds the socket until it closes it.");
        break;
    }
}

static void explain_zh(sb *b, int state, const span *s, bool host)
{
    char x[32];
    add(b, "%s(%zu个):", synack_state_rfc_name(state), s->n);
    switch (state) {
    case SYNACK_LISTEN:
        add(b, "侦听来自远方TCP端口的连接请求(SYN),不等待某个特定的对方。没有定时器结束它,直到应用程序"
               "关闭它。Recv-Q是已完成三次握手、等待accept()的连接数,Send-Q是这个队列的上限(backlog)。");
        if (s->full_listeners)
            add(b, "请检查:端口%u的接受队列已满(%u/%u):应用程序accept太慢,新的握手会被丢弃。",
                s->full->local.port, s->full->recv_q, s->full->send_q);
        break;
    case SYNACK_SYN_SENT:
        add(b, "已发送连接请求(SYN,三次握手的第一步),等待远程TCP匹配的连接请求(SYN-ACK)。");
        if (s->timed) {
            add(b, "重传定时器按退避重发SYN,");
            when(b, s, true);
            add(b, "。");
        }
        if (s->est_lo != NS_UNKNOWN)
            add(b, "连接定时器最迟在%s后放弃连接建立(ETIMEDOUT;默认在连接后75秒,这是BSD的传统,"
                   "不是RFC 9293的要求)。", fmt_duration(s->est_lo, x, sizeof x));
        else if (host)
            add(b, "Linux在net.ipv4.tcp_syn_retries次重传后放弃(默认6次,约127秒)。");
        if (s->max_retrans >= 2)
            add(b, "请检查:已重传%u次仍无应答:远端主机不可达,或防火墙丢弃了SYN(端口关闭时会立即"
                   "回RST)。", s->max_retrans);
        break;
    case SYNACK_SYN_RECEIVED:
        add(b, "收到连接请求(SYN)并发出了SYN-ACK(三次握手的第二个报文段),等待对方对连接请求的确认"
               "(ACK,第三个报文段)。");
        if (s->timed) {
            add(b, "重传定时器重发SYN-ACK,");
            when(b, s, true);
            add(b, "。");
        }
        if (s->est_lo != NS_UNKNOWN)
            add(b, "连接定时器最迟在%s后放弃连接建立。", fmt_duration(s->est_lo, x, sizeof x));
        else if (host)
            add(b, "Linux在net.ipv4.tcp_synack_retries次重传后放弃(默认5次,约63秒)。");
        if (s->n >= NS_DIAG_SYN_RECV_MIN)
            add(b, "请检查:半连接很多:可能是SYN洪水攻击(伪造的源地址不会应答),或客户端的ACK在路上"
                   "丢失;SYN cookies可以让侦听端继续应答。");
        break;
    case SYNACK_ESTABLISHED:
        add(b, "代表一个打开的连接,双方都可以发送数据,没有人在关闭。双方都正常时没有定时器结束它;"
               "有未确认的数据时重传定时器运行(on),对方窗口为零时发送零窗口探测(probe),应用程序"
               "要求时运行保活定时器(keepalive)。");
        if (s->retrans_rows)
            add(b, "请检查:%zu个连接已把同一数据重传%u次以上(最多%u次):对方可能已死或路径中断;重传"
                   "上限、用户超时或保活会结束它们。", s->retrans_rows, (unsigned)NS_DIAG_RETRANS_MIN,
                s->max_retrans);
        break;
    case SYNACK_CLOSE_WAIT:
        add(b, "远程TCP已发来FIN(对方已关闭它的一端),等待从本地用户(应用程序)发来的连接中断请求。"
               "没有定时器结束这个状态,只有应用程序调用close(),然后发出我们的FIN(进入LAST-ACK)。");
        if (s->unread) add(b, "其中%zu个还有未读的数据(Recv-Q)。", s->unread);
        if (s->n >= NS_DIAG_CLOSE_WAIT_MIN)
            add(b, "请检查:有%zu个连接停在这里:应用程序没有关闭它的套接字(泄漏,或线程卡在close()"
                   "之前)。", s->n);
        break;
    case SYNACK_FIN_WAIT_1:
        add(b, "本地应用程序已关闭,已发送FIN(连接中断请求);等待远程TCP对它的确认,或远程TCP的连接"
               "中断请求。");
        if (s->timed) {
            add(b, "重传定时器重发FIN(或未确认的数据),");
            when(b, s, true);
            add(b, "。");
        }
        break;
    case SYNACK_FIN_WAIT_2:
        add(b, "我们的FIN已被确认,从远程TCP等待连接中断请求(FIN),远端应用程序关闭时它才会到来。");
        if (s->timed) {
            add(b, "本地应用程序也已关闭,所以FIN-WAIT-2定时器在");
            when(b, s, true);
            add(b, host ? "结束它(Linux:net.ipv4.tcp_fin_timeout,默认60秒)。"
                        : "结束它(synack默认10分钟,这是BSD的传统,不是RFC 9293的要求)。");
        } else {
            add(b, "本地应用程序还能读时没有定时器:对方不关闭,它就一直等待。");
        }
        if (s->n >= NS_DIAG_FIN_WAIT2_MIN)
            add(b, "请检查:有%zu个连接停在这里:对方没有关闭它的一端。", s->n);
        break;
    case SYNACK_CLOSING:
        add(b, "双方同时发出了FIN(同时关闭):收到了对方的FIN,但我们的FIN还没有被确认,等待远程TCP"
               "对连接中断的确认。转到TIME-WAIT是由收到这个确认(一个报文段)驱动的,不是定时器超时。");
        if (s->timed) {
            add(b, "重传定时器重发我们的FIN,");
            when(b, s, true);
            add(b, "。");
        }
        break;
    case SYNACK_LAST_ACK:
        add(b, "对方先关闭,本地应用程序随后关闭并发出了FIN;等待原来发向远程TCP的连接中断请求的确认"
               "(最后一个ACK)。收到后连接转为CLOSED:后关闭的一方没有TIME-WAIT。");
        if (s->timed) {
            add(b, "重传定时器重发FIN,");
            when(b, s, true);
            add(b, "。");
        }
        break;
    case SYNACK_TIME_WAIT:
        add(b, "本端先关闭,双方的FIN都已确认;等待2MSL(MSL是报文段最大生存时间),以确保远程TCP接收"
               "到连接中断请求的确认(对方的FIN重来时可以再发ACK),并让旧的重复报文段在同一个四元组"
               "再次使用前消失。没有别人在等待。TIME-WAIT定时器");
        if (s->timed) when(b, s, true);
        add(b, host ? "超时后连接转为CLOSED(Linux固定为60秒)。"
                    : "超时后连接转为CLOSED(synack默认MSL为30秒,即60秒)。");
        break;
    default:
        add(b, "没有任何连接状态:连接已结束(或从未打开),应用程序仍持有这个套接字,直到关闭它。");
        break;
    }
}

size_t ns_explain_state(char *buf, size_t cap, int state, const ns_row *rows, size_t n, int lang,
                        bool host)
{
    sb b = {buf, cap, 0};
    if (cap) buf[0] = 0;
    span s = span_of(state, rows, n);
    if (lang == NS_LANG_ZH) explain_zh(&b, state, &s, host);
    else explain_en(&b, state, &s, host);
    return b.len;
}
