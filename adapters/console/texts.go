package console

import "strings"

// texts are the console's words in English and German (API.md section 12), by key.
var texts = map[string]map[string]string{
	"en": {
		"title": "Help desk", "signOut": "Sign out", "signInTitle": "Sign in", "signInOIDC": "Sign in with your organisation's account",
		"badSignIn": "This sign-in cannot be finished", "badSignInText": "It was started in another browser or took too long. Start it again.",
		"signInLink": "Open the one-time sign-in link that this command prints on the machine otpcard runs on; it is valid for 5 minutes and once:",
		"welcome":    "Signed in", "roles": "Roles", "dataRoom": "Clients", "allClients": "all clients", "sessionEnds": "Session ends",
		"back": "Back to the console", "linkRefused": "This sign-in link cannot be used",
		"linkRefusedText": "It was used already, it expired after 5 minutes, or it was opened from another machine. Ask for a new one with otpcard console.",
		"forbidden":       "Refused", "crossSite": "The request did not come from the console's own page. Reload the page and try again.",
		"notFound": "No such page", "notFoundText": "The console has no page at this address.",
		"failed": "Something went wrong", "failedText": "The console could not answer. Try again in a moment.",
		"search": "Search", "client": "Client", "query": "loginId, name, e-mail, extId or card serial",
		"found": "Users found", "more": "More users match: narrow the search.", "noneFound": "No user matches.",
		"user": "User", "loginId": "loginId", "email": "E-mail", "state": "State", "language": "Language",
		"address": "Address", "cards": "OTP cards", "serial": "Serial", "validTo": "Valid until",
		"remaining": "Cells left", "lastLogin": "Last login", "links": "Renewal", "lockedUntil": "locked until",
		"expired": "expired", "renews": "renews", "renewedBy": "renewed by", "noCards": "No OTP card.",
		"backToSearch": "Back to the search", "refused": "You may not see this", "refusedText": "Your roles or your clients do not allow it.",
		"badRequest": "This request cannot be answered", "badRequestText": "Check what you typed: a client and a search of up to 200 characters.",
		"actions": "Actions", "unlock": "Unlock", "disable": "Disable", "enable": "Enable", "archive": "Archive", "delete": "Delete",
		"done": "Done.", "changed": "The card changed since you opened it",
		"changedText": "Someone else changed it meanwhile. Open the user's page again to see it as it is now, then decide again.",
		"notPossible": "Not possible", "notPossibleText": "The card's state does not allow this.",
		"auditTrail": "Audit trail", "auditWindow": "What happened to the user and the user's cards in the last 30 days, newest first.",
		"backToUser": "Back to the user", "when": "When", "what": "What", "who": "Who", "card": "Card", "details": "Details",
		"noAudit": "Nothing in the last 30 days.", "moreAudit": "More happened: the API's audit trail has all of it.",
		"jobs": "Rollout jobs", "batches": "Print batches", "job": "Job", "kind": "Kind", "progress": "Progress",
		"failedItems": "Failed", "started": "Created", "finished": "Finished", "noJobs": "No rollout job yet.",
		"refreshing": "A job is running: this page reloads every few seconds.",
		"batch":      "Batch", "letters": "Letters", "expires": "Deleted after", "sealed": "sealed", "growing": "growing",
		"lifecycle": "lifecycle job", "noBatches": "No print batch.",
		"batchesText": "The print shop downloads sealed batches through the API, encrypted to its key; nobody sees a cell here.",
	},
	"de": {
		"title": "Helpdesk", "signOut": "Abmelden", "signInTitle": "Anmelden", "signInOIDC": "Mit dem Konto Ihrer Organisation anmelden",
		"badSignIn": "Diese Anmeldung lässt sich nicht abschliessen", "badSignInText": "Sie wurde in einem anderen Browser begonnen oder dauerte zu lange. Beginnen Sie neu.",
		"signInLink": "Öffnen Sie den einmaligen Anmeldelink, den dieser Befehl auf dem Rechner von otpcard ausgibt; er gilt 5 Minuten und einmal:",
		"welcome":    "Angemeldet", "roles": "Rollen", "dataRoom": "Mandanten", "allClients": "alle Mandanten", "sessionEnds": "Sitzung endet",
		"back": "Zurück zur Konsole", "linkRefused": "Dieser Anmeldelink ist nicht gültig",
		"linkRefusedText": "Er wurde schon benutzt, ist nach 5 Minuten abgelaufen oder wurde auf einem anderen Rechner geöffnet. Holen Sie mit otpcard console einen neuen.",
		"forbidden":       "Abgelehnt", "crossSite": "Die Anfrage kam nicht von der Seite der Konsole. Laden Sie die Seite neu und versuchen Sie es noch einmal.",
		"notFound": "Diese Seite gibt es nicht", "notFoundText": "Unter dieser Adresse hat die Konsole keine Seite.",
		"failed": "Etwas ist schiefgegangen", "failedText": "Die Konsole konnte nicht antworten. Versuchen Sie es gleich noch einmal.",
		"search": "Suchen", "client": "Mandant", "query": "loginId, Name, E-Mail, extId oder Seriennummer der Karte",
		"found": "Gefundene Benutzer", "more": "Es passen mehr Benutzer: grenzen Sie die Suche ein.", "noneFound": "Kein Benutzer passt.",
		"user": "Benutzer", "loginId": "loginId", "email": "E-Mail", "state": "Status", "language": "Sprache",
		"address": "Adresse", "cards": "OTP-Karten", "serial": "Seriennummer", "validTo": "Gültig bis",
		"remaining": "Felder übrig", "lastLogin": "Letzte Anmeldung", "links": "Erneuerung", "lockedUntil": "gesperrt bis",
		"expired": "abgelaufen", "renews": "erneuert", "renewedBy": "erneuert durch", "noCards": "Keine OTP-Karte.",
		"backToSearch": "Zurück zur Suche", "refused": "Das dürfen Sie nicht sehen", "refusedText": "Ihre Rollen oder Mandanten erlauben es nicht.",
		"badRequest": "Diese Anfrage geht nicht", "badRequestText": "Prüfen Sie die Eingabe: ein Mandant und eine Suche von höchstens 200 Zeichen.",
		"actions": "Aktionen", "unlock": "Entsperren", "disable": "Deaktivieren", "enable": "Aktivieren", "archive": "Archivieren", "delete": "Löschen",
		"done": "Erledigt.", "changed": "Die Karte hat sich geändert, seit Sie sie geöffnet haben",
		"changedText": "Jemand anderes hat sie inzwischen geändert. Öffnen Sie die Seite des Benutzers neu und entscheiden Sie dann noch einmal.",
		"notPossible": "Nicht möglich", "notPossibleText": "Der Status der Karte erlaubt das nicht.",
		"auditTrail": "Protokoll", "auditWindow": "Was in den letzten 30 Tagen mit dem Benutzer und seinen Karten geschah, das Neueste zuerst.",
		"backToUser": "Zurück zum Benutzer", "when": "Wann", "what": "Was", "who": "Wer", "card": "Karte", "details": "Einzelheiten",
		"noAudit": "Nichts in den letzten 30 Tagen.", "moreAudit": "Es geschah mehr: das Protokoll der API enthält alles.",
		"jobs": "Rollout-Aufträge", "batches": "Druckstapel", "job": "Auftrag", "kind": "Art", "progress": "Fortschritt",
		"failedItems": "Fehlgeschlagen", "started": "Erstellt", "finished": "Beendet", "noJobs": "Noch kein Rollout-Auftrag.",
		"refreshing": "Ein Auftrag läuft: diese Seite lädt sich alle paar Sekunden neu.",
		"batch":      "Stapel", "letters": "Briefe", "expires": "Gelöscht nach", "sealed": "versiegelt", "growing": "wächst",
		"lifecycle": "Lebenszyklus-Auftrag", "noBatches": "Kein Druckstapel.",
		"batchesText": "Die Druckerei lädt versiegelte Stapel über die API herunter, verschlüsselt für ihren Schlüssel; hier sieht niemand ein Feld.",
	},
}

// language picks English or German from an Accept-Language header: the first of them it names.
func language(acceptLanguage string) string {
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case tag == "de" || strings.HasPrefix(tag, "de-"):
			return "de"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return "en"
		}
	}
	return "en"
}
