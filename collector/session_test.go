package collector

import (
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	s := NewSessions()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a, isNew := s.Assign(1, 100, t0)
	if !isNew {
		t.Fatal("first event did not start a session")
	}
	steps := []struct {
		name    string
		site    uint32
		visitor uint64
		at      time.Duration
		same    bool
	}{
		{"29 minutes later joins", 1, 100, 29 * time.Minute, true},
		{"another 30 minutes joins (gap counts from the last event)", 1, 100, 59 * time.Minute, true},
		{"an out-of-order event inside the session joins", 1, 100, 10 * time.Minute, true},
		{"another visitor is another session", 1, 101, 60 * time.Minute, false},
		{"same visitor id on another site is another session", 2, 100, 60 * time.Minute, false},
		{"31 minutes idle starts a new session", 1, 100, 90*time.Minute + time.Second, false},
	}
	for _, st := range steps {
		id, _ := s.Assign(st.site, st.visitor, t0.Add(st.at))
		if (id == a) != st.same {
			t.Fatalf("%s: session %d, first %d", st.name, id, a)
		}
	}
	if !s.Has(1, 100, t0.Add(100*time.Minute)) || s.Has(1, 100, t0.Add(200*time.Minute)) {
		t.Fatal("Has disagrees with the gap rule")
	}
	if n := s.Sweep(t0.Add(5 * time.Hour)); n != 0 {
		t.Fatalf("%d sessions survive a sweep 5 hours later", n)
	}
}

func TestSessionKeepsItsAttribution(t *testing.T) {
	s := NewSessions()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	email := web(Attribution{Channel: "Email", Source: "newsletter", Medium: "email", Campaign: "spring"})
	id, got, isNew := s.AssignWith(1, 7, t0, email)
	if !isNew || *got != email {
		t.Fatalf("first event: %v %+v", isNew, got)
	}
	id2, got2, _ := s.AssignWith(1, 7, t0.Add(time.Minute), web(Attribution{Channel: "Direct", Source: "(direct)", Medium: "(none)"}))
	if id2 != id || got2 != got {
		t.Fatalf("the next page of the visit lost its e-mail attribution: %+v", got2)
	}
	_, got, _ = s.AssignWith(1, 7, t0.Add(2*time.Hour), web(Attribution{Channel: "Direct"}))
	if got.Channel != "Direct" {
		t.Fatalf("a new visit kept the old attribution: %+v", got)
	}
}

// A visit opened by a back end's event (no attribution) takes that of its first web
// event, which keeps its own channel instead of losing it.
func TestSessionOpenedByServerTakesFirstWebAttribution(t *testing.T) {
	s := NewSessions()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	id, _ := s.Assign(1, 7, t0)
	email := web(Attribution{Channel: "Email", Source: "newsletter", Medium: "email"})
	id2, got, _ := s.AssignWith(1, 7, t0.Add(time.Minute), email)
	if id2 != id || *got != email {
		t.Fatalf("the first web event of a visit a server event opened: %v %+v; want the visit and its own attribution", id2 == id, got)
	}
	if _, got, _ = s.AssignWith(1, 7, t0.Add(2*time.Minute), profile{}); *got != email {
		t.Fatalf("a later back-end event of the visit: %+v; want the e-mail attribution", got)
	}
}

// web is a browser's event's offer of attribution a.
func web(a Attribution) profile { return profile{Attribution: a, level: webProfile} }
