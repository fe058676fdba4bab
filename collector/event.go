package collector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Event is one enriched event, as stored: a row of the events table. The visitor's IP
// address and User-Agent are not in it; they are used for the visitor hash, device and
// geo lookups and then dropped.
type Event struct {
	SiteID         uint32
	TS             time.Time
	Name           string
	VisitorID      uint64
	SessionID      uint64
	UserID         string
	Channel        string
	Source         string
	Medium         string
	Campaign       string
	Term           string
	UTMContent     string
	ClickID        string
	ReferrerDomain string
	Referrer       string
	Hostname       string
	Path           string
	Title          string
	Device         string
	Browser        string
	BrowserVersion string
	OS             string
	OSVersion      string
	Screen         uint16
	Country        string
	Region         string
	City           string
	Language       string
	Props          map[string]string
	ContentName    string
	ContentPiece   string
	ContentTarget  string
	EngagedMS      uint32
	Scroll         uint8
	Revenue        int64 // amount × 10⁴ (Decimal(18, 4))
	Currency       string

	// Neither is stored nor spooled: they serve while the event is given its visit.
	role  visitRole
	visit *profile // its visit's profile once it has its visit; nil: none
}

// Row returns the event's values in schema.EventColumns order.
func (e *Event) Row() []any {
	return []any{e.SiteID, e.TS, e.Name, e.VisitorID, e.SessionID, e.UserID,
		e.Channel, e.Source, e.Medium, e.Campaign, e.Term, e.UTMContent, e.ClickID, e.ReferrerDomain, e.Referrer,
		e.Hostname, e.Path, e.Title, e.Device, e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.Screen,
		e.Country, e.Region, e.City, e.Language, e.Props, e.ContentName, e.ContentPiece, e.ContentTarget,
		e.EngagedMS, e.Scroll, e.Revenue, e.Currency}
}

// codecVersion leads every encoded event, so a spool written by an older binary is
// still read correctly after an upgrade.
const codecVersion = 1

// strings returns pointers to the event's string fields in a fixed order, so the
// encoder and decoder cannot disagree.
func (e *Event) strings() []*string {
	return []*string{&e.Name, &e.UserID, &e.Channel, &e.Source, &e.Medium, &e.Campaign, &e.Term, &e.UTMContent,
		&e.ClickID, &e.ReferrerDomain, &e.Referrer, &e.Hostname, &e.Path, &e.Title, &e.Device, &e.Browser,
		&e.BrowserVersion, &e.OS, &e.OSVersion, &e.Country, &e.Region, &e.City, &e.Language,
		&e.ContentName, &e.ContentPiece, &e.ContentTarget, &e.Currency}
}

// MarshalBinary encodes the event compactly for the spool: varints and length-prefixed
// strings. The spool stores enriched events, so a replay needs no GeoIP, salt or
// session state.
func (e *Event) MarshalBinary() ([]byte, error) {
	return e.AppendBinary(make([]byte, 0, 256))
}

// AppendBinary appends the encoding of e to b.
func (e *Event) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, codecVersion)
	b = binary.AppendUvarint(b, uint64(e.SiteID))
	b = binary.AppendVarint(b, e.TS.UnixMilli())
	b = binary.LittleEndian.AppendUint64(b, e.VisitorID)
	b = binary.LittleEndian.AppendUint64(b, e.SessionID)
	b = binary.AppendUvarint(b, uint64(e.Screen))
	b = binary.AppendUvarint(b, uint64(e.EngagedMS))
	b = append(b, e.Scroll)
	b = binary.AppendVarint(b, e.Revenue)
	for _, s := range e.strings() {
		b = binary.AppendUvarint(b, uint64(len(*s)))
		b = append(b, *s...)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Props)))
	for k, v := range e.Props {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b, nil
}

var errShort = errors.New("encoded event is truncated")

// UnmarshalBinary decodes what MarshalBinary encoded.
func (e *Event) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	if v := d.byte(); v != codecVersion {
		if d.err != nil {
			return d.err
		}
		return fmt.Errorf("encoded event has codec version %d; this binary reads %d", v, codecVersion)
	}
	e.SiteID = uint32(d.uvarint())
	e.TS = time.UnixMilli(d.varint()).UTC()
	e.VisitorID = d.uint64()
	e.SessionID = d.uint64()
	e.Screen = uint16(d.uvarint())
	e.EngagedMS = uint32(d.uvarint())
	e.Scroll = d.byte()
	e.Revenue = d.varint()
	for _, s := range e.strings() {
		*s = d.string()
	}
	n := d.uvarint()
	if n > 1000 {
		return fmt.Errorf("encoded event has %d props", n)
	}
	e.Props = nil
	if n > 0 {
		e.Props = make(map[string]string, n)
		for i := uint64(0); i < n; i++ {
			k := d.string()
			e.Props[k] = d.string()
		}
	}
	return d.err
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errShort
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if uint64(len(d.b)) < n {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
