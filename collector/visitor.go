package collector

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omnistat/omnistat/store"
)

// Salts hands out the random salt of each UTC day for the cookieless visitor id. A salt
// is made once per day (by whichever node asks first; if two race, every node settles on
// the earliest one written), kept in memory, and deleted from the store after two days
// by the table's TTL, so an old visitor id can never be recomputed from an IP address.
type Salts struct {
	st    store.Store
	mu    sync.Mutex
	day   map[string][]byte
	today atomic.Pointer[daySalt] // the last day asked for, read without the lock
}

type daySalt struct {
	day  string
	salt []byte
}

// NewSalts returns a salt source backed by the salts table.
func NewSalts(st store.Store) *Salts {
	return &Salts{st: st, day: map[string][]byte{}}
}

// For returns the salt of t's UTC day.
func (s *Salts) For(ctx context.Context, t time.Time) ([]byte, error) {
	day := t.UTC().Format("2006-01-02")
	if d := s.today.Load(); d != nil && d.day == day {
		return d.salt, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if salt, ok := s.day[day]; ok {
		return salt, nil
	}
	salt, err := s.load(ctx, day)
	if err != nil {
		return nil, err
	}
	if salt == nil {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		err := s.st.Exec(ctx, "INSERT INTO salts (day, salt, created) VALUES ({d:Date}, {s:String}, now())",
			store.Params{"d": day, "s": hex.EncodeToString(b)})
		if err != nil {
			return nil, fmt.Errorf("collector.Salts: %w", err)
		}
		if salt, err = s.load(ctx, day); err != nil || salt == nil {
			return nil, fmt.Errorf("collector.Salts: salt for %s not readable after insert: %v", day, err)
		}
	}
	// Keep only today's and yesterday's salts in memory.
	for d := range s.day {
		if d < t.UTC().AddDate(0, 0, -1).Format("2006-01-02") {
			delete(s.day, d)
		}
	}
	s.day[day] = salt
	s.today.Store(&daySalt{day: day, salt: salt})
	return salt, nil
}

func (s *Salts) load(ctx context.Context, day string) ([]byte, error) {
	res, err := s.st.Query(ctx, "SELECT argMin(salt, created), count() FROM salts WHERE day = {d:Date}", store.Params{"d": day})
	if err != nil {
		return nil, fmt.Errorf("collector.Salts: %w", err)
	}
	if len(res.Rows) != 1 || store.Int(res.Rows[0][1]) == 0 {
		return nil, nil
	}
	hexSalt, _ := res.Rows[0][0].(string)
	return hex.DecodeString(hexSalt)
}

// cookielessID is the daily visitor id: the first 8 bytes of SHA-256 over the day's
// salt, the site, the IP address and the User-Agent. Same visitor, same day, same id;
// the next day, a new one.
func cookielessID(salt []byte, siteID uint32, ip netip.Addr, ua string) uint64 {
	h := sha256.New()
	h.Write(salt)
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], siteID)
	h.Write(b[:])
	ipb := ip.As16()
	h.Write(ipb[:])
	h.Write([]byte(ua))
	return binary.LittleEndian.Uint64(h.Sum(nil))
}

// ConsentVisitorID is the visitor id stored for a first-party id the tracker sends in
// consent mode (or a server sends as visitor_id).
func ConsentVisitorID(siteID uint32, id string) uint64 { return firstPartyID("visitor", siteID, id) }

// firstPartyID maps an id the site gives (the tracker's consent-mode id, a server's
// visitor_id or user_id) to a visitor id, stable across days. kind keeps the id spaces
// apart so a user_id can never collide with a consent id by construction.
func firstPartyID(kind string, siteID uint32, id string) uint64 {
	h := sha256.New()
	h.Write([]byte(kind))
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], siteID)
	h.Write(b[:])
	h.Write([]byte(id))
	return binary.LittleEndian.Uint64(h.Sum(nil))
}
