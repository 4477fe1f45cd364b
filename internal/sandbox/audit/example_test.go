package audit_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

func Example() {
	ctx := context.Background()
	store, err := audit.Open("") // in memory; give a path to keep the log
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	for _, r := range []audit.Record{
		{Kind: audit.SignIn, UserUUID: "555021935107", Outcome: audit.Allowed},
		{Kind: audit.SCRRead, UserUUID: "555021935107", OrgCode: "RBA", Patient: "9000000009",
			Activity: "B0370", Outcome: audit.Allowed, Permission: true},
	} {
		if err := store.Append(ctx, r); err != nil {
			log.Fatal(err)
		}
	}

	rows, _ := store.Query(ctx, audit.Filter{Patient: "9000000009"})
	fmt.Printf("row %d: %s of %s, chained to row %d\n", rows[0].Seq, rows[0].Kind, rows[0].Patient, rows[0].Seq-1)

	n, _ := store.Count(ctx)
	var broken *audit.ChainError
	switch err := store.Verify(ctx); {
	case errors.As(err, &broken):
		fmt.Printf("tampered with at row %d: %s\n", broken.Seq, broken.Reason)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Printf("%d rows, chain intact\n", n)
	}
	// Output:
	// row 2: scr-read of 9000000009, chained to row 1
	// 2 rows, chain intact
}
