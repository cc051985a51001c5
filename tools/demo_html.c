/* demo_html.c: collects what the demo's hooks report (scenarios, steps, netstat tables, the
 * link's packets) and the text it prints, then writes the page. The ladders are drawn from the
 * same segments the link carried (ladder_model, ladder_svg); the explanations are netstat
 * --explain's (netstat_explain.c), in both languages. */
#include "demo_html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <synack/inspect.h>

#include "demo.h"
#include "format.h"
#include "ladder_cli.h"
#include "ladder_draw.h"
#include "ladder_model.h"
#include "netstat.h"

#define MAX_ROWS 64

typedef struct scn {
    int n;
    char slug[32], title[160], intro[512];
    seg_vec segs;
    char *body;        /* the steps and tables, as HTML */
    size_t body_len;
    FILE *bodyf;
    bool explained[SYNACK_STATE_COUNT]; /* explain each state once per scenario */
} scn;

typedef struct page {
    scn v[DEMO_SCENARIOS];
    int n;
    bool oom;
} page;


static scn *current(page *p) { return p->n ? &p->v[p->n - 1] : NULL; }

static void on_scenario(void *ctx, int n, const char *slug, const char *title, const char *intro)
{
    page *p = ctx;
    scn *prev = current(p);
    if (prev && prev->bodyf) {
        fclose(prev->bodyf);
        prev->bodyf = NULL;
    }
    if (p->n == DEMO_SCENARIOS) return;
    scn *s = &p->v[p->n++];
    memset(s, 0, sizeof *s);
    s->n = n;
    snprintf(s->slug, sizeof s->slug, "%s", slug);
    snprintf(s->title, sizeof s->title, "%s", title);
    snprintf(s->intro, sizeof s->intro, "%s", intro);
    s->bodyf = open_memstream(&s->body, &s->body_len);
    if (!s->bodyf) p->oom = true;
}

static void on_step(void *ctx, int scenario, int step, const char *title, const char *explain)
{
    scn *s = current(ctx);
    if (!s || !s->bodyf) return;
    fprintf(s->bodyf, "<div class=\"step\" id=\"s%d-%d\"><h3>%d.%d ", scenario, step, scenario, step);
    fmt_xml_escape(s->bodyf, title);
    fputs("</h3>\n<p>", s->bodyf);
    fmt_xml_escape(s->bodyf, explain);
    fputs("</p></div>\n", s->bodyf);
}

static void on_table(void *ctx, const char *host, synack_time_us t, const synack_stack *st)
{
    page *p = ctx;
    scn *s = current(p);
    if (!s || !s->bodyf) return;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        p->oom = true;
        return;
    }
    synack_netstat_print(st, m, true);
    fclose(m);
    FILE *o = s->bodyf;
    fprintf(o, "<figure class=\"netstat\"><figcaption><b>%s$ netstat -ano</b> <span class=\"at\">(at %llu.%06llu s)</span></figcaption>\n<pre>",
            host, (unsigned long long)(t / 1000000u), (unsigned long long)(t % 1000000u));
    fmt_xml_escape(o, text ? text : "");
    fputs("</pre>\n", o);
    free(text);
    /* What the states in this table mean, first time each appears in the scenario. */
    synack_conn_info ci[MAX_ROWS];
    ns_row rows[MAX_ROWS];
    size_t n = synack_conn_list(st, ci, MAX_ROWS);
    if (n > MAX_ROWS) n = MAX_ROWS;
    for (size_t i = 0; i < n; i++) ns_row_from_conn(&rows[i], &ci[i]);
    bool open = false;
    for (int state = 0; state < SYNACK_STATE_COUNT; state++) {
        bool present = false;
        for (size_t i = 0; i < n; i++) present |= rows[i].state == state;
        if (!present || s->explained[state]) continue;
        s->explained[state] = true;
        if (!open) fputs("<div class=\"explain\">\n", o);
        open = true;
        char buf[2048];
        for (int lang = NS_LANG_EN; lang <= NS_LANG_ZH; lang++) {
            ns_explain_state(buf, sizeof buf, state, rows, n, lang, false);
            fprintf(o, "<p class=\"%s\" lang=\"%s\">", lang == NS_LANG_ZH ? "zh" : "en", lang == NS_LANG_ZH ? "zh" : "en");
            fmt_xml_escape(o, buf);
            fputs("</p>\n", o);
        }
    }
    if (open) fputs("</div>\n", o);
    fputs("</figure>\n", o);
}

static void on_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt, size_t len)
{
    page *p = ctx;
    scn *s = current(p);
    (void)from;
    (void)to;
    if (!s || what != SYNACK_TAP_SENT) return;
    tcp_seg seg;
    const char *why;
    if (tcp_seg_decode(pkt, len, t, &seg, &why) && !seg_vec_push(&s->segs, &seg)) p->oom = true;
}

/* ---- the page ---- */

static const char css[] =
    "body{font-family:'DejaVu Sans','Noto Sans CJK SC',sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}"
    "header{background:#123;color:#fff;padding:14px 24px;position:sticky;top:0;z-index:1}"
    "header h1{margin:0;font-size:20px;display:inline}"
    "#langs{float:right}#langs button{font-size:14px;margin-left:6px;padding:4px 10px;border:1px solid #9ab;"
    "background:#234;color:#fff;border-radius:4px;cursor:pointer}#langs button.on{background:#fff;color:#123}"
    "nav{padding:8px 24px;background:#e4e9f0}nav a{margin-right:14px;color:#123}"
    "main{padding:0 24px 40px}section.scenario{background:#fff;margin:22px 0;padding:8px 20px 16px;"
    "border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15)}"
    "section.scenario,.step{scroll-margin-top:64px}"
    "section.scenario h2{border-bottom:2px solid #123;padding-bottom:4px}"
    ".ladders{overflow-x:auto}svg.ladder{display:block;margin:10px 0;max-width:100%;height:auto}"
    ".step h3{margin:18px 0 4px;font-size:16px;color:#123}"
    "figure.netstat{margin:8px 0 8px 16px}figcaption{font-size:13px}.at{color:#666}"
    "pre{background:#10161d;color:#d7e3ee;padding:8px 10px;border-radius:4px;overflow-x:auto;font-size:12px;"
    "font-family:'DejaVu Sans Mono',monospace}"
    ".explain p{font-size:13px;margin:4px 0;padding:4px 8px;border-left:3px solid #8a6d00;background:#fff7d6}"
    "html:not([lang=zh]) .zh{display:none}html[lang=zh] .en{display:none}"
    "details{margin-top:12px}summary{cursor:pointer;color:#123}";

/* The switch sets the page's lang; CSS shows the matching paragraphs. #zh in the URL starts there. */
static const char script[] =
    "function setLang(l){document.documentElement.lang=l;"
    "for(const b of document.querySelectorAll('#langs button'))b.classList.toggle('on',b.dataset.lang===l);}"
    "for(const b of document.querySelectorAll('#langs button'))b.addEventListener('click',()=>setLang(b.dataset.lang));"
    "setLang(location.hash==='#zh'?'zh':'en');";

static void write_ladders(FILE *f, const scn *s)
{
    seg_vec one = {0};
    long conns = seg_vec_pick(&s->segs, 0, &one);
    fputs("<div class=\"ladders\">\n", f);
    for (long k = 1; k <= conns; k++) {
        one.n = 0;
        if (seg_vec_pick(&s->segs, k, &one) < 0 || !one.n) break;
        ladder_model m;
        if (!ladder_model_build(&m, one.v, one.n)) break;
        m.t0 = 0; /* virtual time from the scenario's start */
        char title[256], id[32];
        snprintf(title, sizeof title, "Scenario %d: %s%s", s->n, s->title,
                 conns > 1 ? (k == 1 ? " (first connection)" : " (next connection)") : "");
        snprintf(id, sizeof id, "ladder-%d-%ld-", s->n, k);
        ladder_draw_svg(f, &m, title, id);
        ladder_model_free(&m);
    }
    fputs("</div>\n", f);
    seg_vec_free(&one);
}

/* The transcript's part for scenario n: from its "== Scenario n of" line to the next "\n== ". */
static void write_transcript(FILE *f, const char *text, int n)
{
    char mark[48];
    snprintf(mark, sizeof mark, "== Scenario %d of ", n);
    const char *a = text ? strstr(text, mark) : NULL;
    if (!a) return;
    const char *b = strstr(a + 1, "\n== ");
    fputs("<details><summary>The demo's text for this scenario</summary><pre>", f);
    char *part = strndup(a, b ? (size_t)(b - a) : strlen(a));
    if (part) fmt_xml_escape(f, part);
    free(part);
    fputs("</pre></details>\n", f);
}

static void write_page(FILE *f, const page *p, const char *transcript)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>synack demo: TCP's states as netstat shows them</title>\n<style>",
          f);
    fputs(css, f);
    fputs("</style>\n</head>\n<body>\n<header><h1>synack demo</h1> "
          "<span class=\"en\">TCP's states as netstat shows them, on two simulated hosts</span>"
          "<span class=\"zh\" lang=\"zh\">用 netstat 看 TCP 的状态:两台模拟主机</span>"
          "<span id=\"langs\"><button data-lang=\"en\" id=\"lang-en\">English</button>"
          "<button data-lang=\"zh\" id=\"lang-zh\">中文</button></span></header>\n<nav>",
          f);
    for (int i = 0; i < p->n; i++) {
        fprintf(f, "<a href=\"#scenario-%d\">%d. ", p->v[i].n, p->v[i].n);
        fmt_xml_escape(f, p->v[i].title);
        fputs("</a>", f);
    }
    fputs("</nav>\n<main>\n<p class=\"en\">Client 198.18.0.1 and server 198.18.0.2, 10 ms apart, in virtual "
          "time. Each scenario: its ladder (the segments as they crossed the link, seq and ack relative "
          "to each side's ISN; states inferred from the segments, RFC 9293 names), then each step with "
          "both hosts' <code>netstat -ano</code> tables: the Timer column shows which timer runs and "
          "how long it has left (seconds/retransmissions/probes). Under a table, what its states "
          "mean.</p>\n<p class=\"zh\" lang=\"zh\">客户端 198.18.0.1 与服务器 198.18.0.2,单向延迟 10 毫秒,"
          "虚拟时间。每个场景先给出时序图(报文段在链路上的往来,seq 与 ack 相对各方的初始序号;状态由报文段推断,"
          "采用 RFC 9293 的名称),再逐步给出两台主机的 <code>netstat -ano</code> 表:Timer 列显示正在运行的"
          "定时器及剩余时间(秒/重传次数/探测次数)。表下说明各状态的含义。</p>\n",
          f);
    for (int i = 0; i < p->n; i++) {
        const scn *s = &p->v[i];
        fprintf(f, "<section class=\"scenario\" id=\"scenario-%d\" data-slug=\"%s\">\n<h2>%d. ", s->n, s->slug, s->n);
        fmt_xml_escape(f, s->title);
        fputs("</h2>\n<p>", f);
        fmt_xml_escape(f, s->intro);
        fputs("</p>\n", f);
        write_ladders(f, s);
        if (s->body) fwrite(s->body, 1, s->body_len, f);
        write_transcript(f, transcript, s->n);
        fputs("</section>\n", f);
    }
    fprintf(f, "</main>\n<script>%s</script>\n</body>\n</html>\n", script);
}

int demo_html_write(const char *path, int scenario)
{
    page *p = calloc(1, sizeof *p);
    char *transcript = NULL;
    size_t tlen = 0;
    FILE *tx = open_memstream(&transcript, &tlen);
    if (!p || !tx) {
        fprintf(stderr, "synack demo: out of memory\n");
        if (tx) fclose(tx);
        free(transcript);
        free(p);
        return 2;
    }
    demo_hooks h = {.ctx = p, .scenario = on_scenario, .step = on_step, .table = on_table, .tap = on_tap};
    int rc = demo_run_hooked(tx, scenario, NULL, false, &h);
    fclose(tx);
    scn *last = current(p);
    if (last && last->bodyf) {
        fclose(last->bodyf);
        last->bodyf = NULL;
    }
    if (p->oom) {
        fprintf(stderr, "synack demo: out of memory\n");
        rc = 2;
    }
    FILE *f = rc == 2 ? NULL : fopen(path, "w");
    if (rc != 2 && !f) {
        fprintf(stderr, "synack demo: cannot write %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    if (f) {
        write_page(f, p, transcript);
        if (fclose(f) != 0) {
            fprintf(stderr, "synack demo: cannot write %s: %s\n", path, strerror(errno));
            rc = 1;
        }
    }
    for (int i = 0; i < p->n; i++) {
        seg_vec_free(&p->v[i].segs);
        free(p->v[i].body);
    }
    free(p);
    free(transcript);
    return rc;
}
