package embedded

import (
	"fmt"
	"runtime"
	"sort"
	"unsafe"
)

// conn is one chdb connection. A connection runs one statement at a time, so the
// Store keeps a small pool of them and hands each to one caller at a time.
type conn struct {
	l   *lib
	ptr unsafe.Pointer // chdb_connection* as chdb_connect returned it
}

func openConn(l *lib, args []string) (*conn, error) {
	keep := make([][]byte, len(args))
	argv := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		keep[i], argv[i] = cstring(a)
	}
	p := l.connect(int32(len(args)), unsafe.Pointer(&argv[0]))
	runtime.KeepAlive(keep)
	runtime.KeepAlive(argv)
	if p == nil {
		return nil, fmt.Errorf("chdb_connect %v failed (is another process using this data directory?)", args)
	}
	return &conn{l: l, ptr: p}, nil
}

// handle is the chdb_connection value the query functions take.
func (c *conn) handle() unsafe.Pointer { return *(*unsafe.Pointer)(c.ptr) }

func (c *conn) close() {
	if c.ptr != nil {
		c.l.closeConn(c.ptr)
		c.ptr = nil
	}
}

// query runs one statement and returns a copy of the engine's output, or the engine's
// error message as errMsg.
func (c *conn) query(sql []byte, format string, params map[string]string) (out []byte, errMsg string) {
	if len(sql) == 0 {
		return nil, "empty query"
	}
	fb, fp := cstring(format)
	var res unsafe.Pointer
	if len(params) == 0 {
		res = c.l.queryN(c.handle(), unsafe.Pointer(&sql[0]), uintptr(len(sql)), fp, uintptr(len(format)))
	} else {
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := len(keys)
		bufs := make([][]byte, 0, 2*n)
		names := make([]unsafe.Pointer, n)
		values := make([]unsafe.Pointer, n)
		nameLens := make([]uintptr, n)
		valueLens := make([]uintptr, n)
		for i, k := range keys {
			kb, kp := cstring(k)
			vb, vp := cstring(params[k])
			bufs = append(bufs, kb, vb)
			names[i], values[i] = kp, vp
			nameLens[i], valueLens[i] = uintptr(len(k)), uintptr(len(params[k]))
		}
		res = c.l.queryWithParamsN(c.handle(), unsafe.Pointer(&sql[0]), uintptr(len(sql)), fp, uintptr(len(format)),
			unsafe.Pointer(&names[0]), unsafe.Pointer(&nameLens[0]), unsafe.Pointer(&values[0]), unsafe.Pointer(&valueLens[0]), uintptr(n))
		runtime.KeepAlive(bufs)
		runtime.KeepAlive(names)
		runtime.KeepAlive(values)
		runtime.KeepAlive(nameLens)
		runtime.KeepAlive(valueLens)
	}
	runtime.KeepAlive(sql)
	runtime.KeepAlive(fb)
	if res == nil {
		return nil, "chdb returned no result"
	}
	defer c.l.destroyResult(res)
	if e := c.l.resultError(res); e != nil {
		if msg := goString(e); msg != "" {
			return nil, msg
		}
	}
	n := c.l.resultLength(res)
	if n == 0 {
		return nil, ""
	}
	buf := c.l.resultBuffer(res)
	if buf == nil {
		return nil, ""
	}
	out = make([]byte, n)
	copy(out, unsafe.Slice((*byte)(buf), n))
	return out, ""
}

// insert streams data, already encoded in format, into the INSERT statement (which has
// no FORMAT clause). Data travels beside the statement, never inside its text: the
// engine's client splits statement text on blank lines, which binary rows can contain.
func (c *conn) insert(stmt string, format string, data []byte) (errMsg string) {
	qb, qp := cstring(stmt)
	fb, fp := cstring(format)
	st := c.l.streamInsertN(c.handle(), qp, uintptr(len(stmt)), fp, uintptr(len(format)))
	runtime.KeepAlive(qb)
	runtime.KeepAlive(fb)
	if st == nil {
		return "chdb_stream_insert returned no stream"
	}
	defer c.l.destroyInsertStream(st)
	if e := goString(c.l.streamInsertError(st)); e != "" {
		return e
	}
	if len(data) > 0 {
		if c.l.streamAppend(st, unsafe.Pointer(&data[0]), uintptr(len(data))) != 0 {
			if e := goString(c.l.streamInsertError(st)); e != "" {
				return e
			}
			return "chdb_stream_append failed"
		}
		runtime.KeepAlive(data)
	}
	res := c.l.streamDone(st)
	if res == nil {
		return "chdb_stream_done returned no result"
	}
	defer c.l.destroyResult(res)
	if e := goString(c.l.resultError(res)); e != "" {
		return e
	}
	return ""
}
