// Package rbac is the one table of National RBAC Database activity codes that the
// viewer and the sandbox agree on (API.md, "RBAC activities"): which activities
// let a role view a Summary Care Record, use emergency access, override consent
// or read privacy-officer audit reports.
package rbac

import "slices"

// Activity codes (National RBAC Database), named.
const (
	AccessSCRApplication        = "B0264"
	ViewSummaryHealthRecords    = "B0370"
	ViewDetailedHealthRecords   = "B0360"
	PerformDetailedHealthRecord = "B0380"
	ManageDetailedHealthRecords = "B8029"
	ViewPatientMedication       = "B0401" // community pharmacy
	EmergencyAccessSCR          = "B0168"
	LegalOverrideOfConsent      = "B0082"
	ReceiveEmergencyViewAlerts  = "B0015" // privacy officer
	ReceiveSelfClaimedLRAlerts  = "B0016" // privacy officer
	PrivacyOfficerRoleCode      = "R0001"
)

// Permission is something a role may do with the SCR.
type Permission int

const (
	ViewSCR        Permission = iota + 1 // view with the patient's permission
	EmergencyView                        // view without it, sending a privacy alert (type 2 subtype 5)
	LegalOverride                        // override consent (alert type 1 subtypes 1–3)
	ReadAuditTrail                       // privacy-officer alerts, audit reports, Subject Access Requests
)

// grantedBy lists, per permission, the activities any one of which grants it.
var grantedBy = map[Permission][]string{
	ViewSCR: {
		AccessSCRApplication, ViewSummaryHealthRecords, ViewDetailedHealthRecords,
		PerformDetailedHealthRecord, ManageDetailedHealthRecords, ViewPatientMedication,
	},
	EmergencyView:  {EmergencyAccessSCR},
	LegalOverride:  {LegalOverrideOfConsent},
	ReadAuditTrail: {ReceiveEmergencyViewAlerts, ReceiveSelfClaimedLRAlerts},
}

// Allows reports whether a role holding activities has permission p.
func Allows(activities []string, p Permission) bool {
	for _, code := range grantedBy[p] {
		if slices.Contains(activities, code) {
			return true
		}
	}
	return false
}

// GrantedBy returns the activity codes that grant p, for messages and tests.
func GrantedBy(p Permission) []string { return slices.Clone(grantedBy[p]) }

func (p Permission) String() string {
	switch p {
	case ViewSCR:
		return "view a Summary Care Record"
	case EmergencyView:
		return "emergency access to a Summary Care Record"
	case LegalOverride:
		return "legal override of consent"
	case ReadAuditTrail:
		return "read audit reports"
	}
	return "unknown permission"
}
