package recordview_test

import (
	"fmt"
	"strings"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/recordview"
)

// A screen that reads the record out, with no layout: what the record says
// is all it needs.
func ExampleRead() {
	s := &client.Summary{Sections: []client.Section{
		{Kind: client.SectionAcuteMeds, Title: "Acute Medications", Blocks: []client.Block{&client.Table{
			Headers: []client.Cell{{Text: "Medication Item"}, {Text: "Quantity"}},
			Rows:    [][]client.Cell{{{Text: "Amoxicillin 500mg capsules"}, {Text: "21 capsule"}}},
		}}},
		{Kind: client.SectionAllergies, Title: "Allergies and Adverse Reactions", Blocks: []client.Block{
			client.Paragraph{Text: "Penicillin: rash"},
		}},
	}}
	rec := recordview.Read(s)
	fmt.Println(rec.Allergies.Status)
	for _, sec := range rec.Sections {
		fmt.Println("Section:", sec.Title)
		for _, b := range sec.Blocks {
			switch b.Kind {
			case recordview.TableBlock:
				label := func(c recordview.Cell) string {
					for _, h := range b.Table.Head {
						if h.Col <= c.Col && c.Col+c.Span <= h.Col+h.Span {
							return h.Text + ": "
						}
					}
					return ""
				}
				for _, r := range b.Table.Rows {
					var said []string
					for _, c := range r.Cells {
						said = append(said, label(c)+c.Text)
					}
					fmt.Println("  Row:", strings.Join(said, ", "))
				}
			default:
				fmt.Println(" ", b.Text)
			}
		}
	}
	// Output:
	// Known allergies
	// Section: Allergies and Adverse Reactions
	//   Penicillin: rash
	// Section: Acute Medications
	//   Row: Medication Item: Amoxicillin 500mg capsules, Quantity: 21 capsule
}
