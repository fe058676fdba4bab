package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omnistat/omnistat/store"
)

// Goal is a conversion: an event name, or a page pattern where * matches anything
// (/thanks*). Goals are evaluated when reports are made, so a new goal counts past
// events too.
type Goal struct {
	ID    uint32 `json:"id"`
	Name  string `json:"name"`
	Event string `json:"event,omitempty"`
	Page  string `json:"page,omitempty"`
}

// AddGoal validates and stores a goal; Name defaults to the event, or "Visit PAGE".
func (c *Catalog) AddGoal(ctx context.Context, siteID uint32, g Goal) (Goal, error) {
	g.Event, g.Page, g.Name = strings.TrimSpace(g.Event), strings.TrimSpace(g.Page), strings.TrimSpace(g.Name)
	switch {
	case g.Event == "" && g.Page == "":
		return Goal{}, fmt.Errorf("event or page: one is required (an event name like \"signup\", or a page pattern like \"/thanks*\")")
	case g.Event != "" && g.Page != "":
		return Goal{}, fmt.Errorf("event and page: send only one of them; a goal is an event or a page")
	case utf8.RuneCountInString(g.Event) > 120:
		return Goal{}, fmt.Errorf("event is longer than 120 characters")
	case utf8.RuneCountInString(g.Page) > 512:
		return Goal{}, fmt.Errorf("page is longer than 512 characters")
	case g.Page != "" && !strings.HasPrefix(g.Page, "/") && !strings.HasPrefix(g.Page, "*"):
		return Goal{}, fmt.Errorf("page %q must start with / (or *)", g.Page)
	case utf8.RuneCountInString(g.Name) > 120:
		return Goal{}, fmt.Errorf("name is longer than 120 characters")
	}
	if g.Name == "" {
		g.Name = g.Event
		if g.Page != "" {
			g.Name = "Visit " + g.Page
		}
	}
	goals, err := c.Goals(ctx, siteID)
	if err != nil {
		return Goal{}, err
	}
	for _, o := range goals {
		if o.Name == g.Name {
			return Goal{}, fmt.Errorf("a goal named %q exists", g.Name)
		}
		if o.ID >= g.ID {
			g.ID = o.ID + 1
		}
	}
	if g.ID == 0 {
		g.ID = 1
	}
	err = c.st.Exec(ctx, "INSERT INTO goals (site_id, id, name, event, page, created_at, deleted, version) VALUES ({s:UInt32}, {id:UInt32}, {n:String}, {e:String}, {p:String}, {t:DateTime('UTC')}, 0, {v:UInt64})",
		store.Params{"s": strconv.Itoa(int(siteID)), "id": strconv.Itoa(int(g.ID)), "n": g.Name, "e": g.Event, "p": g.Page, "t": c.nowText(), "v": c.version()})
	if err != nil {
		return Goal{}, wrap("AddGoal", err)
	}
	return g, nil
}

// Goals lists a site's goals by id.
func (c *Catalog) Goals(ctx context.Context, siteID uint32) ([]Goal, error) {
	res, err := c.st.Query(ctx, "SELECT id, name, event, page FROM goals FINAL WHERE site_id = {s:UInt32} AND deleted = 0 ORDER BY id",
		store.Params{"s": strconv.Itoa(int(siteID))})
	if err != nil {
		return nil, wrap("Goals", err)
	}
	out := []Goal{}
	for _, r := range res.Rows {
		out = append(out, Goal{ID: uint32(store.Uint(r[0])), Name: asString(r[1]), Event: asString(r[2]), Page: asString(r[3])})
	}
	return out, nil
}

// DeleteGoal removes a goal.
func (c *Catalog) DeleteGoal(ctx context.Context, siteID, id uint32) error {
	goals, err := c.Goals(ctx, siteID)
	if err != nil {
		return err
	}
	for _, g := range goals {
		if g.ID == id {
			return wrap("DeleteGoal", c.st.Exec(ctx, "INSERT INTO goals (site_id, id, name, event, page, created_at, deleted, version) VALUES ({s:UInt32}, {id:UInt32}, {n:String}, '', '', {t:DateTime('UTC')}, 1, {v:UInt64})",
				store.Params{"s": strconv.Itoa(int(siteID)), "id": strconv.Itoa(int(id)), "n": g.Name, "t": c.nowText(), "v": c.version()}))
		}
	}
	return ErrNotFound
}
