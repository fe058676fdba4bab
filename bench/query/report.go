package main

import (
	"fmt"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// report prints the Markdown tables of bench/README.md.
func report(events int, ours, plaus []sizeRow, oursT, plausT []timing, runs int) {
	fmt.Printf("\n### Size on disk (%d events, after OPTIMIZE FINAL)\n\n", events)
	fmt.Println("| table | rows | parts | bytes on disk | B/event | compressed | uncompressed |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	total := func(rows []sizeRow) (sum uint64) {
		for _, r := range rows {
			fmt.Printf("| %s | %d | %d | %d | %.1f | %d | %d |\n", r.table, r.rows, r.parts, r.disk,
				float64(r.disk)/float64(events), r.compressed, r.uncompressed)
			sum += r.disk
		}
		return sum
	}
	o := total(ours)
	if len(plaus) > 0 {
		p := total(plaus)
		fmt.Printf("\nOmnistat %.1f B/event; Plausible's layout %.1f B/event (both tables).\n", float64(o)/float64(events), float64(p)/float64(events))
	}

	fmt.Printf("\n### Answer times, 30-day range, ms (median and max of %d runs after a warm-up)\n\n", runs)
	fmt.Println("| query | Omnistat p50 | Omnistat max | Plausible layout p50 | Plausible layout max | speed-up (p50) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	var sumO, sumP time.Duration
	for i, t := range oursT {
		pp50, pmax, ratio := "n/a", "n/a", ""
		if i < len(plausT) && plausT[i].all != nil {
			pp50, pmax = ms(plausT[i].p50), ms(plausT[i].max)
			ratio = fmt.Sprintf("%.1f×", float64(plausT[i].p50)/float64(t.p50))
			sumO += t.p50
			sumP += plausT[i].p50
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", t.name, ms(t.p50), ms(t.max), pp50, pmax, ratio)
	}
	if sumP > 0 {
		fmt.Printf("\nSum of medians over the queries both answer: Omnistat %s ms, Plausible's layout %s ms (%.1f×).\n", ms(sumO), ms(sumP), float64(sumP)/float64(sumO))
	}
}
