package assets

import (
	"embed"
	"io/fs"
)

//go:generate go run gen_patients.go

// The patients are embedded on their own, so that they do not depend on what
// else the sandbox folder holds; the linker stores each file once however many
// embed directives name it.
//
//go:embed sandbox/patients
var patients embed.FS

// Patients holds the sandbox's synthetic patients (sandbox/patients): a folder
// per NHS number with the PDS Patient and, for a patient who has a Summary Care
// Record, its DocumentReference searchset and SCR Bundle, each as the API serves
// it; and superseded.json and invalidated.json, the numbers no longer in use.
// sandbox/patients/README.md lists who is there and what each one exercises.
//
// The files of 9000000009 are the NHS's published examples, copied unchanged
// (MIT, Crown copyright: its LICENSE is beside them); gen_patients.go writes
// every other patient.
var Patients = func() fs.FS {
	sub, err := fs.Sub(patients, "sandbox/patients")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}()
