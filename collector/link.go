package collector

import (
	"context"

	"github.com/omnistat/omnistat/catalog"
)

// AcceptLinkClick records a click on a tracked link (/r/{slug}) as a "click" event on
// the link's target page, carrying the link's campaign and channel so e-mail, social and
// QR-code traffic lands in the right channel even when the target URL has no utm tags.
// The content fields name the link, so CTR and clicks can be broken down by link.
func (c *Collector) AcceptLinkClick(ctx context.Context, site catalog.Site, l catalog.Link, r Request) error {
	r.Source = FromLink
	r.Input.Site = site.Domain
	r.Input.Name = "click"
	r.Input.URL = l.Target
	r.Input.Content = &Content{Name: "link:" + l.Slug, Target: l.Target}
	r.link = &linkAttribution{campaign: l.Campaign, source: l.Source, medium: l.Medium, channel: l.Channel}
	return c.Accept(ctx, r)
}

// linkAttribution is what a tracked link sets of the attribution its target's own tags
// give; empty fields leave those.
type linkAttribution struct{ campaign, source, medium, channel string }

func (l *linkAttribution) attribute(e *Event) {
	if l.campaign != "" {
		e.Campaign = l.campaign
	}
	if l.source != "" {
		e.Source = l.source
	}
	if l.medium != "" {
		e.Medium = l.medium
	}
	if l.channel != "" {
		e.Channel = l.channel
	}
}
