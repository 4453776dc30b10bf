package event

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// genLines returns n realistic canonical lines, every type in turn, with
// the variations real producers show: timestamp forms, key order, numeric
// ids, nulls, escapes, unknown nested keys. It is deterministic.
func genLines(n int) []string {
	r := rand.New(rand.NewPCG(20261120, 1))
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	q := strconv.Quote // Go quoting is valid JSON for these ASCII strings

	types := Types()
	out := make([]string, 0, n)
	for i := range n {
		t := types[i%len(types)]
		at := base.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		kv := []string{`"type":` + q(t.String())}
		add := func(k, v string) { kv = append(kv, q(k)+":"+v) }

		switch r.IntN(8) {
		case 0:
			add("ts", q(at.Format(time.RFC3339)))
		case 1:
			add("ts", q(at.Format("2006-01-02T15:04:05.000Z07:00")))
		case 2:
			add("ts", q(at.In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano)))
		case 3:
			add("ts", strconv.FormatInt(at.Unix(), 10))
		case 4:
			add("ts", strconv.FormatInt(at.UnixMilli(), 10))
		case 5:
			add("ts", fmt.Sprintf("%d.%03d", at.Unix(), r.IntN(1000)))
		case 6:
			add("ts", q(strconv.FormatInt(at.UnixMilli(), 10)))
		default:
			add("ts", q(at.In(time.FixedZone("", 5*3600+1800)).Format("2006-01-02T15:04:05.999999Z07:00")))
		}
		switch r.IntN(4) {
		case 0:
			add("id", strconv.Itoa(r.IntN(1e6)))
		case 1:
		default:
			add("id", q(fmt.Sprintf("evt-%06d", r.IntN(1e6))))
		}
		user := q(fmt.Sprintf("u-%04d", r.IntN(5000)))
		if r.IntN(10) == 0 {
			user = "null"
		}
		receipt := q(fmt.Sprintf("rcpt_%d_%08x", at.UnixMilli(), r.Uint32()))
		money := func() string { return strconv.FormatFloat(r.Float64()*0.05, 'f', -1, 64) }

		switch t {
		case TypeSignup:
			add("user", user)
		case TypeSessionStart:
			add("user", user)
			add("surface", q(pick("web", "ide", "cli", "slack", "mobile", "browser", "api")))
		case TypeSetup:
			add("user", user)
			add("kind", q(pick("connector", "ide")))
			add("name", q(pick("github", "slack", "vscode", "jetbrains", "notion")))
			add("result", q(pick("success", "failure")))
		case TypeToolCall:
			add("user", user)
			add("tool", q(pick("github.create_pr", "slack.post", "fs.read", "shell.exec", "jira.create_issue")))
			add("status", q(pick("success", "success", "success", "error", "denied")))
			add("duration_ms", strconv.FormatFloat(float64(r.IntN(20000))/10, 'f', -1, 64))
			add("receipt", receipt)
		case TypeOutcome:
			add("user", user)
			add("workflow", q(pick("release-notes", "triage", "onboarding", "pr-review")))
			add("status", q(pick("success", "failure", "unknown")))
			add("receipt", receipt)
		case TypeApproval:
			add("user", user)
			add("decision", q(pick("approved", "rejected")))
			add("receipt", receipt)
		case TypePolicyBlock:
			add("policy", q(pick("no-prod-writes", "pii-egress", "budget-cap")))
			add("user", user)
			add("tool", q(pick("shell.exec", "db.write")))
		case TypeArenaRun:
			add("run", q(fmt.Sprintf("arena-%d", r.IntN(1000))))
			add("result", q(pick("promoted", "rejected", "failed")))
			add("cost_usd", money())
		case TypeConsensus:
			add("run", q(fmt.Sprintf("arena-%d", r.IntN(1000))))
			if r.IntN(5) == 0 {
				add("confidence", "null")
			} else {
				add("confidence", strconv.FormatFloat(r.Float64(), 'g', 4, 64))
			}
		case TypeChangeAccepted:
			add("change", q(fmt.Sprintf("chg-%d", r.IntN(1e5))))
			add("user", user)
		case TypeChangeReverted:
			add("change", q(fmt.Sprintf("chg-%d", r.IntN(1e5))))
		case TypeCircuitBreaker:
			add("service", q(pick("llm-gateway", "vector-db", "auth")))
			add("state", q(pick("open", "half_open", "closed")))
		case TypeInference:
			add("user", user)
			add("provider", q(pick("anthropic", "openai", "google", "groq")))
			add("model", q(pick("haiku", "sonnet", "gpt-4o-mini", "gemini-flash")))
			add("cost_usd", money())
			add("tokens_in", strconv.Itoa(r.IntN(8000)))
			add("tokens_out", strconv.Itoa(r.IntN(2000)))
			add("routed", q(pick("cheaper", "default", "fallback")))
		case TypeQualityGate:
			add("repo", q(pick("heady/core", "heady/web")))
			add("gate", q(pick("tests", "lint", "heady-battle")))
			add("result", q(pick("pass", "fail")))
		case TypeCoverage:
			add("repo", q(pick("heady/core", "heady/web")))
			add("ratio", strconv.FormatFloat(r.Float64(), 'f', 3, 64))
		case TypeGovernance:
			add("repo", q(pick("heady/core", "heady/web")))
			add("score", strconv.Itoa(r.IntN(101)))
		case TypeDeploy:
			add("service", q(pick("api", "web", "worker")))
			add("env", q(pick("staging", "production")))
			add("result", q(pick("success", "failure")))
		case TypeMerge, TypeRevert:
			add("repo", q(pick("heady/core", "heady/web")))
			add("change", q(fmt.Sprintf("chg-%d", r.IntN(1e5))))
		case TypeShipped:
			add("item", q(fmt.Sprintf("ITEM-%d", r.IntN(900))))
			add("opened_at", q(at.Add(-time.Duration(r.IntN(90*24))*time.Hour).Format(time.RFC3339)))
		case TypeIncidentOpened:
			add("incident", q(fmt.Sprintf("INC-%d", r.IntN(500))))
			add("severity", q(pick("sev1", "sev2", "sev3")))
			add("security", pick("true", "false", `"true"`))
		case TypeIncidentResolved:
			add("incident", q(fmt.Sprintf("INC-%d", r.IntN(500))))
		case TypeMilestoneClosed:
			add("milestone", q(pick("v1.0", "GA", "Q4 launch")))
			add("due", strconv.FormatInt(at.Add(72*time.Hour).Unix(), 10))
		}
		switch r.IntN(6) {
		case 0:
			add("meta", `{"trace":"4bf92f3577b34da6","tags":["a","b",{"x":[1,2.5e3,true,null]}]}`)
		case 1:
			add("note", `"line one\nline \"two\" \u00e9\ud83d\ude80 caf\u00E9 a\/b"`)
		}
		r.Shuffle(len(kv), func(a, b int) { kv[a], kv[b] = kv[b], kv[a] })
		sep := ","
		if r.IntN(5) == 0 {
			sep = ", "
		}
		out = append(out, "{"+strings.Join(kv, sep)+"}")
	}
	return out
}

// breakLines returns damaged variants of lines: truncated, with a byte
// replaced or inserted, and with invalid UTF-8.
func breakLines(lines []string) []string {
	r := rand.New(rand.NewPCG(7, 7))
	junk := []string{`"`, `\`, `{`, `}`, `[`, `]`, `,`, `:`, " ", "\x00", "\xff", "\xc3", "é", `\u`, "0", "-", "e", "n", "\r\n"}
	var out []string
	for _, l := range lines {
		cut := r.IntN(len(l))
		pos := r.IntN(len(l))
		j := junk[r.IntN(len(junk))]
		out = append(out,
			l[:cut],
			l[:pos]+j+l[pos:],
			l[:pos]+j+l[min(pos+1, len(l)):],
		)
	}
	return out
}
