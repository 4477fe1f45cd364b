package rbac

import "testing"

func TestAllows(t *testing.T) {
	tests := []struct {
		name       string
		activities []string
		p          Permission
		want       bool
	}{
		{"pharmacist views", []string{"B0278", ViewPatientMedication}, ViewSCR, true},
		{"pharmacist no emergency", []string{ViewPatientMedication}, EmergencyView, false},
		{"A&E emergency", []string{ViewSummaryHealthRecords, EmergencyAccessSCR}, EmergencyView, true},
		{"receptionist", []string{"B0825"}, ViewSCR, false},
		{"privacy officer audit", []string{ReceiveEmergencyViewAlerts}, ReadAuditTrail, true},
		{"privacy officer self-claimed", []string{ReceiveSelfClaimedLRAlerts}, ReadAuditTrail, true},
		{"privacy officer cannot view", []string{ReceiveEmergencyViewAlerts}, ViewSCR, false},
		{"legal override", []string{LegalOverrideOfConsent}, LegalOverride, true},
		{"nothing", nil, ViewSCR, false},
	}
	for _, tt := range tests {
		if got := Allows(tt.activities, tt.p); got != tt.want {
			t.Errorf("%s: Allows(%v, %v) = %t, want %t", tt.name, tt.activities, tt.p, got, tt.want)
		}
	}
	for _, code := range []string{"B0264", "B0370", "B0360", "B0380", "B8029", "B0401"} {
		if !Allows([]string{code}, ViewSCR) {
			t.Errorf("%s does not grant viewing", code)
		}
	}
}
