package query

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/store"
)

// Journeys and attribution (shared/spec/API.md §3.4): the touchpoints that led to a
// conversion, over web and offline channels together.
//
//   - A touchpoint is a visit, with the channel of its first event: a web visit's
//     attribution, or the channel a server-side event names (Store, CRM, Offline).
//   - A person is the user_id a visitor gave on any event of the window (a login, a
//     CRM id sent with a server-side event), else the visitor. That is what stitches a
//     newsletter visit, a store purchase and a call-centre sale into one journey.
//   - A person's conversion is their first completion, within the date range, of the
//     goal asked for (or of any goal): each converting person counts once.
//   - The path is the person's visits that overlap the lookback window before the
//     conversion (default 30 days), in time order, up to the converting visit.
//
// Everything runs in one query; the engine groups events into visits, visits into
// visitors (to find their user id) and those into persons, and only visitors who
// converted or gave a user id go past the second step.

// JourneyRequest is the query string of GET /api/v1/journeys and /api/v1/attribution.
type JourneyRequest struct {
	Site      string
	DateRange string // "30d", ..., or "YYYY-MM-DD,YYYY-MM-DD"
	Goal      string // a goal's name; empty: any goal
	Model     string // attribution only; default "last"
	Lookback  string // "30d" by default, 1 to 90 days
	Limit     string // 1 to 100 rows; journeys default to 20, attribution to every channel
}

// JourneysResponse is the answer of GET /api/v1/journeys.
type JourneysResponse struct {
	Journeys    []Journey   `json:"journeys"`
	Conversions int64       `json:"conversions"` // converting persons, all paths
	Meta        JourneyMeta `json:"meta"`
}

// Journey is one channel sequence; repeats of a channel in a row are shown once.
type Journey struct {
	Path        []string `json:"path"`
	Conversions int64    `json:"conversions"`
	Share       float64  `json:"share"` // % of all conversions
}

// AttributionResponse is the answer of GET /api/v1/attribution.
type AttributionResponse struct {
	Model       string               `json:"model"`
	Channels    []AttributionChannel `json:"channels"`
	Conversions int64                `json:"conversions"`
	Meta        JourneyMeta          `json:"meta"`
}

// AttributionChannel is the credit one channel gets: conversions are fractional when
// the model splits a conversion between touchpoints.
type AttributionChannel struct {
	Channel     string  `json:"channel"`
	Conversions float64 `json:"conversions"`
	Share       float64 `json:"share"`
}

// JourneyMeta says what the numbers cover.
type JourneyMeta struct {
	From         string `json:"from"`
	To           string `json:"to"`
	Timezone     string `json:"timezone"`
	Goal         string `json:"goal"` // empty: any goal
	LookbackDays int    `json:"lookback_days"`
}

const (
	defaultLookbackDays = 30
	maxLookbackDays     = 90
	defaultJourneys     = 20
	maxJourneys         = 100
	// timeDecayHalfLife is GA4's: a touchpoint 7 days before the conversion gets half
	// the credit of one at the conversion.
	timeDecayHalfLife = 7 * 24 * time.Hour
)

// AttributionModels are the models, each as the weights of a path's touchpoints: an
// expression over the columns of the paths query (chs, the path's channels; n, their
// number; k, the place of the last one that is not Direct, or n; decay, each one's
// time-decay weight; decay_sum) that gives an array of weights summing to 1. The
// lambdas take the arrays as arguments and capture only numbers: a lambda that reads
// a whole array copies it for each element, which a person with thousands of visits
// (a shared user id such as "guest") turns into gigabytes.
var AttributionModels = map[string]string{
	"first":  "arrayMap(i -> toFloat64(i = 1), arrayEnumerate(chs))",
	"last":   "arrayMap(i -> toFloat64(i = n), arrayEnumerate(chs))",
	"linear": "arrayMap(i -> 1 / n, arrayEnumerate(chs))",
	// The last touchpoint that is not Direct; Direct only when every one is.
	"last_non_direct": "arrayMap(i -> toFloat64(i = k), arrayEnumerate(chs))",
	// 40 % to the first and the last, 20 % shared by those between.
	"position_based": "arrayMap(i -> multiIf(n = 1, 1, n = 2, 0.5, i = 1 OR i = n, 0.4, 0.2 / (n - 2)), arrayEnumerate(chs))",
	"time_decay":     "arrayMap(d -> d / decay_sum, decay)",
}

// modelNames lists the models for error messages, in a fixed order.
const modelNames = "first, last, linear, last_non_direct, position_based or time_decay"

// journeyPlan is a checked request.
type journeyPlan struct {
	period   Period
	goals    []catalog.Goal
	goal     string
	lookback int // days
	limit    int
	model    string
}

func (e *Engine) planJourney(ctx context.Context, site catalog.Site, req JourneyRequest) (*journeyPlan, error) {
	goals, err := e.cat.Goals(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if req.DateRange != "" {
		parts := strings.Split(req.DateRange, ",")
		if raw, err = json.Marshal(parts); err == nil && len(parts) == 1 {
			raw, err = json.Marshal(parts[0])
		}
		if err != nil {
			return nil, err
		}
	}
	allFrom, err := e.allFrom(ctx, site, raw)
	if err != nil {
		return nil, err
	}
	plan, err := planWith(site, goals, Request{DateRange: raw, Metrics: []string{"visitors"}}, e.now(), allFrom)
	if err != nil {
		// The date parser speaks of the JSON array of POST /api/v1/query; here two
		// dates are written with a comma.
		return nil, badf("%s (in the query string, two dates read 2026-10-01,2026-10-31)", err.Error())
	}
	p := &journeyPlan{period: plan.Period, goals: goals, goal: req.Goal, lookback: defaultLookbackDays, limit: defaultJourneys, model: req.Model}
	if req.Goal != "" {
		p.goals = nil
		for _, g := range goals {
			if g.Name == req.Goal {
				p.goals = append(p.goals, g)
			}
		}
		if len(p.goals) == 0 {
			return nil, badf("goal %q: %s has no goal of that name", req.Goal, site.Domain)
		}
	}
	if req.Lookback != "" {
		d, ok := strings.CutSuffix(req.Lookback, "d")
		n, err := strconv.Atoi(d)
		if !ok || err != nil || n < 1 || n > maxLookbackDays {
			return nil, badf("lookback %q must be a number of days from 1d to %dd", req.Lookback, maxLookbackDays)
		}
		p.lookback = n
	}
	if req.Limit != "" {
		n, err := strconv.Atoi(req.Limit)
		if err != nil || n < 1 || n > maxJourneys {
			return nil, badf("limit %q must be a number from 1 to %d", req.Limit, maxJourneys)
		}
		p.limit = n
	}
	if p.model == "" {
		p.model = "last"
	}
	if _, ok := AttributionModels[p.model]; !ok {
		return nil, badf("model %q is not supported: use %s", req.Model, modelNames)
	}
	return p, nil
}

func (p *journeyPlan) meta(site catalog.Site) JourneyMeta {
	return JourneyMeta{From: p.period.From.Format("2006-01-02"), To: p.period.To.Format("2006-01-02"),
		Timezone: site.Timezone, Goal: p.goal, LookbackDays: p.lookback}
}

// pathsSQL is one row per converting person: ct, the conversion time; chs, the
// channels of the path's touchpoints, and the numbers the models need (see
// AttributionModels). It is empty without goals.
func (p *journeyPlan) pathsSQL(site catalog.Site) (string, store.Params) {
	start := p.period.Start().UTC()
	b := &builder{params: store.Params{
		"site":     strconv.FormatUint(uint64(site.ID), 10),
		"from":     start.Format(tsFormat),
		"lbfrom":   start.Add(-time.Duration(p.lookback) * 24 * time.Hour).Format(tsFormat),
		"to":       p.period.End().UTC().Format(tsFormat),
		"lb":       strconv.Itoa(p.lookback * 86400),
		"halflife": strconv.FormatInt(int64(timeDecayHalfLife/time.Second), 10),
	}}
	conv := "0"
	if len(p.goals) > 0 {
		var conds []string
		for _, g := range p.goals {
			conds = append(conds, b.goalCond(g))
		}
		conv = "(" + strings.Join(conds, " OR ") + ")"
	}
	visits := `SELECT visitor_id AS vid, session_id, max(user_id) AS uid, min(ts) AS t0, max(ts) AS t1,
	argMin(channel, ts) AS ch, minIf(ts, ` + conv + ` AND ts >= {from:DateTime64(3, 'UTC')}) AS conv_ts,
	countIf(` + conv + ` AND ts >= {from:DateTime64(3, 'UTC')}) > 0 AS conv
FROM events
WHERE site_id = {site:UInt32} AND ts >= {lbfrom:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
GROUP BY visitor_id, session_id`
	// Visitors who neither converted nor gave a user id cannot be on a converting path.
	// A person is keyed by a 64-bit number, the visitor id or a hash of the user id:
	// grouping by it is cheaper than by a string, and two of them meet by chance once
	// in billions of billions.
	visitors := `SELECT if(max(uid) != '', cityHash64(max(uid)), vid) AS person,
	groupArray((t0, t1, ch, conv_ts, conv)) AS vs
FROM (` + visits + `)
GROUP BY vid
HAVING max(conv) OR max(uid) != ''`
	persons := `SELECT person, minIf(v.4, v.5) AS ct,
	arraySort(x -> x.1, arrayFilter(x -> x.1 <= ct AND x.2 >= ct - toIntervalSecond({lb:UInt32}), groupArray((v.1, v.2, v.3)))) AS tps,
	arrayMap(x -> x.3, tps) AS chs, length(chs) AS n,
	if(arrayLastIndex(c -> c != 'Direct', chs) = 0, n, arrayLastIndex(c -> c != 'Direct', chs)) AS k,
	arrayMap(x -> exp2(-dateDiff('second', x.1, ct) / {halflife:UInt32}), tps) AS decay, arraySum(decay) AS decay_sum
FROM (` + visitors + `)
ARRAY JOIN vs AS v
GROUP BY person
HAVING max(v.5)`
	return persons, b.params
}

// Journeys answers GET /api/v1/journeys: the most frequent channel sequences that end
// in a conversion.
func (e *Engine) Journeys(ctx context.Context, site catalog.Site, req JourneyRequest) (*JourneysResponse, error) {
	p, err := e.planJourney(ctx, site, req)
	if err != nil {
		return nil, err
	}
	out := &JourneysResponse{Journeys: []Journey{}, Meta: p.meta(site)}
	if len(p.goals) == 0 {
		return out, nil
	}
	paths, params := p.pathsSQL(site)
	// A channel repeated in a row is one step of the journey: three direct visits
	// before buying read "Direct", as in GA4's conversion paths. Each channel is
	// compared with the one before it from a shifted copy of the path, passed to the
	// lambda, not read from inside it (see AttributionModels).
	sql := `SELECT path, count() AS n, sum(count()) OVER () AS total
FROM (SELECT arrayFilter((c, before, i) -> i = 1 OR c != before, chs, arrayPushFront(arrayPopBack(chs), ''), arrayEnumerate(chs)) AS path
	FROM (` + paths + `))
GROUP BY path
ORDER BY n DESC, path
LIMIT ` + strconv.Itoa(p.limit)
	res, err := e.st.Query(ctx, sql, params)
	if err != nil {
		return nil, fmt.Errorf("query.Journeys: %w", err)
	}
	for _, r := range res.Rows {
		out.Conversions = store.Int(r[2])
		j := Journey{Path: []string{}, Conversions: store.Int(r[1])}
		if arr, ok := r[0].([]any); ok {
			for _, c := range arr {
				j.Path = append(j.Path, text(c))
			}
		}
		out.Journeys = append(out.Journeys, j)
	}
	for i := range out.Journeys {
		out.Journeys[i].Share = percent(float64(out.Journeys[i].Conversions), float64(out.Conversions))
	}
	return out, nil
}

// Attribution answers GET /api/v1/attribution: each converting person's conversion,
// credited to the channels of their path by the model.
func (e *Engine) Attribution(ctx context.Context, site catalog.Site, req JourneyRequest) (*AttributionResponse, error) {
	p, err := e.planJourney(ctx, site, req)
	if err != nil {
		return nil, err
	}
	out := &AttributionResponse{Model: p.model, Channels: []AttributionChannel{}, Meta: p.meta(site)}
	if len(p.goals) == 0 {
		return out, nil
	}
	paths, params := p.pathsSQL(site)
	sql := `SELECT ch, sum(w) AS credit
FROM (SELECT chs, ` + AttributionModels[p.model] + ` AS ws FROM (` + paths + `))
ARRAY JOIN chs AS ch, ws AS w
GROUP BY ch
ORDER BY credit DESC, ch`
	res, err := e.st.Query(ctx, sql, params)
	if err != nil {
		return nil, fmt.Errorf("query.Attribution: %w", err)
	}
	// Every converting person's weights sum to 1, so the credits add up to the
	// number of conversions.
	total := 0.0
	for _, r := range res.Rows {
		credit := store.Float(r[1])
		total += credit
		if credit > 0 {
			out.Channels = append(out.Channels, AttributionChannel{Channel: text(r[0]), Conversions: credit})
		}
	}
	out.Conversions = int64(math.Round(total))
	for i := range out.Channels {
		c := &out.Channels[i]
		c.Share = percent(c.Conversions, float64(out.Conversions))
		c.Conversions = round2(c.Conversions)
	}
	// A limit cuts the rows only: the total and the shares stay those of every
	// conversion, as in journeys.
	if req.Limit != "" && len(out.Channels) > p.limit {
		out.Channels = out.Channels[:p.limit]
	}
	return out, nil
}
