/*
 * tests/test_heads_pub.c -- the client's public heads model built from
 * public data (layers/heads_pub.h) against sr_heads_public_of of the
 * server's quantised model, field by field; the rnnpool-heads model card
 * and request (jobs/card.h): round trip, strict decoding, the check.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/card.h"
#include "layers/heads.h"
#include "layers/heads_pub.h"
#include "layers/heads_secure.h"
#include "tests/twoparty.h"

static void
arm_alarm(void)
{
    alarm(60);
}

TestSuite(heads_pub, .init = arm_alarm);

/* A random quantised model of cfg. */
static void
make_q(sr_heads_fx *q, const sr_heads_cfg *cfg, uint64_t seed)
{
    sr_heads_float net;
    char err[200];
    cr_assert_eq(sr_heads_float_init(&net, cfg, err, sizeof err), SR_OK, "%s",
                 err);
    sr_heads_float_random(&net, seed);
    sr_heads_fmt f;
    sr_heads_fmt_default(&f);
    cr_assert_eq(sr_heads_fx_init(q, &net, &f, NULL), SR_OK);
    sr_heads_float_clear(&net);
}

static void
same_conv(const sr_heads_qconv *a, const sr_heads_qconv *b, const char *w,
          size_t i)
{
    cr_assert_eq(memcmp(&a->sh, &b->sh, sizeof a->sh), 0, "%s %zu shape", w, i);
    cr_assert(a->fin.bw == b->fin.bw && a->fin.s == b->fin.s, "%s %zu", w, i);
    cr_assert(a->fw.bw == b->fw.bw && a->fw.s == b->fw.s, "%s %zu fw", w, i);
    cr_assert(a->fout.bw == b->fout.bw && a->fout.s == b->fout.s, "%s %zu", w,
              i);
    cr_assert_eq(a->shift, b->shift, "%s %zu shift", w, i);
    cr_assert_eq(a->relu6, b->relu6, "%s %zu relu6", w, i);
    cr_assert(a->w == NULL && b->w == NULL && a->b == NULL && b->b == NULL);
}

static void
same_cell(const sr_rnnpool_cell_fx *a, const sr_rnnpool_cell_fx *b)
{
    cr_assert(a->in == b->in && a->hid == b->hid);
    cr_assert(a->W == NULL && a->U == NULL && a->b_gate == NULL &&
              a->b_update == NULL && a->k1 == 0 && a->k2 == 0);
    cr_assert(b->W == NULL && b->U == NULL && b->b_gate == NULL &&
              b->b_update == NULL && b->k1 == 0 && b->k2 == 0);
}

/* a == b field by field (both public models). */
static void
same_pub(const sr_heads_fx *a, const sr_heads_fx *b)
{
    cr_assert_eq(memcmp(&a->cfg, &b->cfg, sizeof a->cfg), 0, "cfg");
    cr_assert_eq(memcmp(&a->dims, &b->dims, sizeof a->dims), 0, "dims");
    cr_assert_eq(memcmp(&a->f, &b->f, sizeof a->f), 0, "formats");
    same_conv(&a->conv0, &b->conv0, "conv0", 0);
    cr_assert(a->rnn.rows == b->rnn.rows && a->rnn.cols == b->rnn.cols);
    cr_assert_eq(memcmp(&a->rnn.f, &b->rnn.f, sizeof a->rnn.f), 0);
    same_cell(&a->rnn.rnn1, &b->rnn.rnn1);
    same_cell(&a->rnn.rnn2, &b->rnn.rnn2);
    cr_assert_eq(memcmp(&a->rnn.sig, &b->rnn.sig, sizeof a->rnn.sig), 0);
    cr_assert_eq(memcmp(&a->rnn.tnh, &b->rnn.tnh, sizeof a->rnn.tnh), 0);
    cr_assert(a->rnn.tab_sig == NULL && b->rnn.tab_sig == NULL &&
              a->rnn.tab_tnh == NULL && b->rnn.tab_tnh == NULL);
    for (size_t i = 0; i < SR_HEADS_MAX_BLOCKS; i++) {
        cr_assert_eq(a->has_expand[i], b->has_expand[i], "block %zu", i);
        cr_assert_eq(a->residual[i], b->residual[i], "block %zu", i);
        same_conv(&a->expand[i], &b->expand[i], "expand", i);
        same_conv(&a->dw[i], &b->dw[i], "dw", i);
        same_conv(&a->project[i], &b->project[i], "project", i);
    }
    for (size_t j = 0; j < SR_HEADS_MAX_STAGES; j++) {
        same_conv(&a->loc[j], &b->loc[j], "loc", j);
        same_conv(&a->conf[j], &b->conf[j], "conf", j);
    }
    cr_assert_eq(memcmp(&a->rsq, &b->rsq, sizeof a->rsq), 0, "rsq plan");
    cr_assert(a->tab_rsq == NULL && b->tab_rsq == NULL);
}

static void
check_cfg(const sr_heads_cfg *cfg, uint64_t seed)
{
    sr_heads_fx q, pub, mine;
    make_q(&q, cfg, seed);
    sr_heads_public_of(&pub, &q);
    sr_heads_desc d;
    sr_heads_desc_of(&d, &q);
    char err[300];
    cr_assert_eq(sr_heads_pub_make(&mine, &d, err, sizeof err), SR_OK, "%s",
                 err);
    same_pub(&mine, &pub);
    /* and through the card's text, at a smaller image size */
    sr_card c, c2;
    sr_card_make_heads(&c, "rand", &q);
    char t[SR_CARD_MAX];
    const size_t n = sr_card_encode(t, sizeof t, &c);
    cr_assert_eq(sr_card_decode(&c2, t, n, err, sizeof err), SR_OK, "%s", err);
    sr_card_request r = {
        .batch = 2, .height = cfg->height - 8, .width = cfg->width - 16};
    cr_assert_eq(sr_card_check(&c2, &r, err, sizeof err), SR_OK, "%s", err);
    cr_assert_eq(sr_card_heads_pub(&mine, &c2, &r, err, sizeof err), SR_OK);
    sr_heads_fx qs = q;
    qs.cfg.height = r.height;
    qs.cfg.width = r.width;
    cr_assert_eq(sr_heads_dims_make(&qs.dims, &qs.cfg, NULL, 0), SR_OK);
    sr_heads_public_of(&pub, &qs);
    same_pub(&mine, &pub);
    sr_heads_fx_clear(&q);
}

Test(heads_pub, equals_public_of)
{
    sr_heads_cfg cfg;
    sr_heads_cfg_default(&cfg, 48, 64);
    check_cfg(&cfg, 7);
    /* stages without expansion (t = 1), a residual-free stride, 3 classes */
    cfg.nstages = 3;
    cfg.stage[0] = (sr_heads_stage){1, 64, 2, 1};
    cfg.stage[1] = (sr_heads_stage){3, 24, 2, 2};
    cfg.stage[2] = (sr_heads_stage){1, 24, 1, 1};
    cfg.classes = 3;
    cfg.anchor[2] = 40.5;
    /* (a model.json has nothing beyond its stages: neither has the card) */
    memset(&cfg.stage[3], 0, sizeof cfg.stage[3]);
    cfg.anchor[3] = 0;
    check_cfg(&cfg, 8);
}

/* The card text of a random model at 48 x 64. */
static size_t
card_text(char *t, sr_card *c)
{
    sr_heads_cfg cfg;
    sr_heads_cfg_default(&cfg, 48, 64);
    sr_heads_fx q;
    make_q(&q, &cfg, 3);
    sr_card_make_heads(c, "heads", &q);
    sr_heads_fx_clear(&q);
    return sr_card_encode(t, SR_CARD_MAX, c);
}

/* t with line `key=...` replaced by repl (NULL: removed). */
static void
edit(char *out, const char *t, const char *key, const char *repl)
{
    const size_t kl = strlen(key);
    out[0] = '\0';
    for (const char *p = t; *p;) {
        const char *nl = strchr(p, '\n');
        const size_t l = (size_t)(nl - p) + 1;
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            if (repl != NULL)
                strcat(strcat(out, repl), "\n");
        } else {
            strncat(out, p, l);
        }
        p += l;
    }
}

static void
decode_fails(const char *t, const char *prefix)
{
    sr_card d;
    char err[300] = "";
    cr_assert_eq(sr_card_decode(&d, t, strlen(t), err, sizeof err), SR_EUSAGE);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "'%s' vs '%s'", err,
              prefix);
}

Test(heads_pub, card_roundtrip_and_strict)
{
    sr_card c, d;
    char t[SR_CARD_MAX], t2[SR_CARD_MAX], err[300];
    const size_t n = card_text(t, &c);
    cr_assert_eq(sr_card_decode(&d, t, n, err, sizeof err), SR_OK, "%s", err);
    cr_assert_eq(d.type, SR_MODEL_RNNPOOL_HEADS);
    cr_assert_str_eq(d.name, "heads");
    cr_assert_eq(memcmp(&d.heads.cfg, &c.heads.cfg, sizeof d.heads.cfg), 0);
    cr_assert_eq(memcmp(&d.heads.f, &c.heads.f, sizeof d.heads.f), 0);
    cr_assert_eq(memcmp(&d.heads.ws, &c.heads.ws, sizeof d.heads.ws), 0);
    cr_assert_eq(sr_card_encode(t2, sizeof t2, &d), n);
    cr_assert_eq(memcmp(t, t2, n), 0);
    cr_assert_null(strstr(t, "zeta"));
    cr_assert_null(strstr(t, "nu1"));
    cr_assert_not_null(strstr(t, "\ntype=rnnpool-heads\n"));
    cr_assert_not_null(strstr(t, "\nreveal=loc,conf\n"));
    char bad[SR_CARD_MAX + 64];
    snprintf(bad, sizeof bad, "%sweights=1\n", t);
    decode_fails(bad, "weights: unknown key");
    snprintf(bad, sizeof bad, "%sclasses=2\n", t);
    decode_fails(bad, "classes: given twice");
    edit(bad, t, "conv0_channels", "conv0_channels=4x");
    decode_fails(bad, "conv0_channels: bad value '4x'");
    edit(bad, t, "anchors", "anchors=8,16,nan,48");
    decode_fails(bad, "anchors: bad value");
    edit(bad, t, "anchors", "anchors=8,16,32");
    decode_fails(bad, "anchors: 3 values, expected 4");
    edit(bad, t, "stages", "stages=2,32,4;2,32,4,1");
    decode_fails(bad, "stages: bad value");
    edit(bad, t, "fmt.act", "fmt.act=16,x");
    decode_fails(bad, "fmt.act: bad format");
    edit(bad, t, "fmt.out", "fmt.out=32,10");
    decode_fails(bad, "fmt: ");
    edit(bad, t, "wscale.conv0", "wscale.conv0=99");
    decode_fails(bad, "wscale.conv0: bad value");
    edit(bad, t, "wscale.conv0", "wscale.conv0=40");
    decode_fails(bad, "wscale: conv0: weight scale 40 above 15");
    edit(bad, t, "wscale.dw", "wscale.dw=12,12");
    decode_fails(bad, "wscale.dw: 2 values, expected 14");
    edit(bad, t, "wscale.dw", NULL);
    decode_fails(bad, "wscale.dw: missing from the model card");
    edit(bad, t, "fmt.rnn.h", NULL);
    decode_fails(bad, "fmt.rnn.h: missing from the model card");
    edit(bad, t, "reveal", "reveal=label");
    decode_fails(bad, "reveal: bad value");
    edit(bad, t, "type", "type=cnn");
    decode_fails(bad, "type: cnn, this client runs fastgrnn or rnnpool-heads");
}

Test(heads_pub, request_and_check)
{
    sr_card c, d;
    char t[SR_CARD_MAX], err[300];
    const size_t n = card_text(t, &c);
    cr_assert_eq(sr_card_decode(&d, t, n, err, sizeof err), SR_OK, "%s", err);
    const size_t shape[4] = {3, 40, 56, 1};
    sr_card_request r, r2;
    sr_card_request_for(&r, &d, 4, shape, SR_REVEAL_LOGITS);
    cr_assert(r.batch == 3 && r.height == 40 && r.width == 56 &&
              r.timesteps == 0 && r.input_dim == 0);
    char rq[512];
    const size_t rn = sr_card_request_encode(rq, sizeof rq, &r);
    cr_assert_str_eq(rq, "request=sirnn-request/1\nbatch=3\nheight=40\n"
                         "width=56\nreveal=logits\n");
    cr_assert_eq(sr_card_request_decode(&r2, rq, rn, err, sizeof err), SR_OK);
    cr_assert_eq(memcmp(&r, &r2, sizeof r), 0);
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_OK, "%s", err);
    r.height = 300;
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_EUSAGE);
    cr_assert(strncmp(err, "height: model card at most 48, client input 300",
                      47) == 0,
              "%s", err);
    r.height = 40, r.width = 65;
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_EUSAGE);
    cr_assert(
        strncmp(err, "width: model card at most 64, client input 65", 45) == 0,
        "%s", err);
    r.width = 56, r.height = 8;
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_EUSAGE);
    cr_assert(strncmp(err, "height: the model cannot take", 29) == 0, "%s",
              err);
    r.height = 40, r.batch = 0;
    cr_assert_eq(sr_card_check(&d, &r, err, sizeof err), SR_EUSAGE);
    cr_assert(strncmp(err, "batch:", 6) == 0, "%s", err);
    /* a FastGRNN request to a heads card */
    const sr_card_request fr = {2, 8, 16, SR_REVEAL_LABEL, 0, 0};
    cr_assert_eq(sr_card_check(&d, &fr, err, sizeof err), SR_EUSAGE);
    cr_assert(strncmp(err, "height: missing", 15) == 0, "%s", err);
    /* strict requests: mixed shapes, missing width */
    const char *mix = "request=sirnn-request/1\nbatch=3\nheight=4\nwidth=5\n"
                      "timesteps=2\nreveal=label\n";
    cr_assert_eq(sr_card_request_decode(&r2, mix, strlen(mix), err, sizeof err),
                 SR_EUSAGE);
    cr_assert(strncmp(err, "timesteps: not with", 19) == 0, "%s", err);
    const char *miss = "request=sirnn-request/1\nbatch=3\nheight=4\n"
                       "reveal=label\n";
    cr_assert_eq(
        sr_card_request_decode(&r2, miss, strlen(miss), err, sizeof err),
        SR_EUSAGE);
    cr_assert(strncmp(err, "width: missing", 14) == 0, "%s", err);
}

/*
 * Robustness of the card decoder against a hostile or corrupt server
 * (the card arrives from the network): 400 mutants of a valid heads card
 * (byte flips, digits changed, truncations, lines duplicated or dropped)
 * decode without a crash (ASan/UBSan in `make check-asan`) to either
 * SR_OK -- then the card is one the client can build a model from -- or
 * SR_EUSAGE with a one-line reason.
 */
Test(heads_pub, card_decoder_survives_mutants)
{
    sr_card c, d;
    static char t[SR_CARD_MAX], m[SR_CARD_MAX + 64];
    const size_t n = card_text(t, &c);
    uint64_t st = 0x5eedcafe;
    size_t ok = 0, refused = 0;
    for (int i = 0; i < 400; i++) {
        memcpy(m, t, n);
        size_t len = n;
        const uint64_t r = sr_test_rand64(&st);
        const size_t at = (size_t)(r >> 8) % n;
        switch (r % 5) {
        case 0: /* flip a byte */
            m[at] = (char)(m[at] ^ (1u << ((r >> 40) % 8)));
            break;
        case 1: /* a digit becomes another, or a huge number */
            if (m[at] >= '0' && m[at] <= '9')
                m[at] = (char)('0' + (r >> 40) % 10);
            else
                m[at] = '9';
            break;
        case 2: /* truncate */
            len = at;
            break;
        case 3: { /* duplicate the line at `at` at the end */
            size_t s0 = at;
            while (s0 > 0 && m[s0 - 1] != '\n')
                s0--;
            const char *nl = memchr(m + s0, '\n', n - s0);
            const size_t l = nl != NULL ? (size_t)(nl - (m + s0)) + 1 : 0;
            memcpy(m + n, m + s0, l);
            len = n + l;
            break;
        }
        default: { /* drop the line at `at` */
            size_t s0 = at;
            while (s0 > 0 && m[s0 - 1] != '\n')
                s0--;
            const char *nl = memchr(m + s0, '\n', n - s0);
            const size_t e = nl != NULL ? (size_t)(nl - m) + 1 : n;
            memmove(m + s0, m + e, n - e);
            len = n - (e - s0);
            break;
        }
        }
        char err[300] = "";
        const int rc = sr_card_decode(&d, m, len, err, sizeof err);
        if (rc == SR_OK) {
            ok++;
            cr_assert_eq(d.type, SR_MODEL_RNNPOOL_HEADS);
            sr_card_request q = {.batch = 1,
                                 .height = d.heads.cfg.height,
                                 .width = d.heads.cfg.width};
            if (sr_card_check(&d, &q, err, sizeof err) == SR_OK) {
                sr_heads_fx pub;
                cr_assert_eq(sr_card_heads_pub(&pub, &d, &q, err, sizeof err),
                             SR_OK, "mutant %d decoded but builds no model: %s",
                             i, err);
            }
        } else {
            refused++;
            cr_assert_eq(rc, SR_EUSAGE, "mutant %d: %d", i, rc);
            cr_assert(err[0] != '\0' && strchr(err, '\n') == NULL,
                      "mutant %d: '%s'", i, err);
        }
    }
    cr_assert(refused > 200, "only %zu of 400 mutants refused", refused);
    cr_log_info("mutants: %zu decoded, %zu refused", ok, refused);
}

/* A client that cannot use the card says why in its request: the server
 * refuses that client with the reason, on one line. */
Test(heads_pub, refusal_request)
{
    char t[512], err[400] = "";
    const size_t n =
        sr_card_refusal_encode(t, sizeof t, "fmt.rnn.z: bad format\n'x'");
    cr_assert_str_eq(t, "request=sirnn-request/1\nerror=fmt.rnn.z: bad format "
                        "'x'\n");
    sr_card_request r;
    cr_assert_eq(sr_card_request_decode(&r, t, n, err, sizeof err), SR_EUSAGE);
    cr_assert_str_eq(err, "the client refused the model card: fmt.rnn.z: bad "
                          "format 'x'");
}
