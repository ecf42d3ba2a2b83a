package pdfcard

import "strings"

// letterText is the letter in one language.
type letterText struct {
	subject, greeting, enclosed, howNumbered, howCoordinate, howSeveral, secret, lost, contact, serial, validUntil string
}

func letterTexts(language string) letterText {
	if t, ok := letterLanguages[strings.ToLower(language)]; ok {
		return t
	}
	return letterLanguages["en"]
}

var letterLanguages = map[string]letterText{
	"en": {
		subject:       "Your OTP card",
		greeting:      "Dear %s,",
		enclosed:      "Below is your OTP card, serial number %s, valid until the end of %s. Cut it out along the marks and keep it separate from your user name and password.",
		howNumbered:   "When you log in, you are asked for a cell by the small number printed in it, for example %s: type the characters of that cell.",
		howCoordinate: "When you log in, you are asked for a cell by its column letter and row number, for example %s: type the characters of that cell.",
		howSeveral:    "You may be asked for %d cells at once, for example %s: type the characters of each, one after the other, in the order asked.",
		secret:        "Never tell anyone the codes on the card, not even your help desk.",
		lost:          "If you lose the card, report it to your help desk at once and give its serial number: you get a new card, and this one stops working.",
		contact:       "Help desk:",
		serial:        "Serial No.",
		validUntil:    "Valid until",
	},
	"de": {
		subject:       "Ihre OTP-Karte",
		greeting:      "Guten Tag %s,",
		enclosed:      "Unten finden Sie Ihre OTP-Karte mit der Seriennummer %s, gültig bis Ende %s. Schneiden Sie sie entlang der Schnittmarken aus und bewahren Sie sie getrennt von Ihren Zugangsdaten auf.",
		howNumbered:   "Bei der Anmeldung werden Sie nach einem Feld gefragt, benannt mit der kleinen Zahl darin, zum Beispiel %s: Geben Sie die Zeichen dieses Feldes ein.",
		howCoordinate: "Bei der Anmeldung werden Sie nach einem Feld gefragt, benannt mit Spaltenbuchstabe und Zeilennummer, zum Beispiel %s: Geben Sie die Zeichen dieses Feldes ein.",
		howSeveral:    "Sie werden unter Umständen nach %d Feldern zugleich gefragt, zum Beispiel %s: Geben Sie die Zeichen jedes Feldes nacheinander ein, in der gefragten Reihenfolge.",
		secret:        "Geben Sie die Codes der Karte niemandem bekannt, auch nicht Ihrem Helpdesk.",
		lost:          "Verlieren Sie die Karte, melden Sie es sofort Ihrem Helpdesk und nennen Sie die Seriennummer: Sie erhalten eine neue Karte, und diese gilt nicht mehr.",
		contact:       "Helpdesk:",
		serial:        "Seriennr.",
		validUntil:    "Gültig bis Ende",
	},
	"fr": {
		subject:       "Votre carte OTP",
		greeting:      "Bonjour %s,",
		enclosed:      "Vous trouverez ci-dessous votre carte OTP, numéro de série %s, valable jusqu'à fin %s. Découpez-la le long des repères et conservez-la séparément de votre identifiant et de votre mot de passe.",
		howNumbered:   "Lors de la connexion, une case vous est demandée par le petit numéro qui y est imprimé, par exemple %s\u00a0: saisissez les caractères de cette case.",
		howCoordinate: "Lors de la connexion, une case vous est demandée par sa lettre de colonne et son numéro de ligne, par exemple %s\u00a0: saisissez les caractères de cette case.",
		howSeveral:    "%d cases peuvent vous être demandées à la fois, par exemple %s\u00a0: saisissez les caractères de chacune, l'une après l'autre, dans l'ordre demandé.",
		secret:        "Ne communiquez jamais les codes de la carte à personne, pas même à votre service d'assistance.",
		lost:          "Si vous perdez la carte, signalez-le immédiatement à votre service d'assistance en indiquant son numéro de série\u00a0: vous recevrez une nouvelle carte, et celle-ci ne fonctionnera plus.",
		contact:       "Service d'assistance\u00a0:",
		serial:        "N° de série",
		validUntil:    "Valable jusqu'à fin",
	},
	"it": {
		subject:       "La sua carta OTP",
		greeting:      "Buongiorno %s,",
		enclosed:      "Qui sotto trova la sua carta OTP, numero di serie %s, valida fino alla fine di %s. La ritagli lungo i segni e la conservi separata dal suo nome utente e dalla sua password.",
		howNumbered:   "All'accesso le viene chiesta una casella tramite il piccolo numero stampato al suo interno, per esempio %s: digiti i caratteri di quella casella.",
		howCoordinate: "All'accesso le viene chiesta una casella tramite la lettera di colonna e il numero di riga, per esempio %s: digiti i caratteri di quella casella.",
		howSeveral:    "Le possono essere chieste %d caselle alla volta, per esempio %s: digiti i caratteri di ciascuna, una dopo l'altra, nell'ordine richiesto.",
		secret:        "Non comunichi mai a nessuno i codici della carta, nemmeno al suo servizio di assistenza.",
		lost:          "Se perde la carta, lo segnali subito al suo servizio di assistenza indicando il numero di serie: riceverà una nuova carta e questa non funzionerà più.",
		contact:       "Servizio di assistenza:",
		serial:        "N. di serie",
		validUntil:    "Valida fino alla fine di",
	},
}
