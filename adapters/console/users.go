package console

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/directory"
)

// userLine is a user as the search lists them and the user's page heads them.
type userLine struct {
	ClientExtID, ExtID, LoginID, Name, Email, State, Language string
	Address                                                   []string
}

func userLineOf(u directory.User) userLine {
	a := u.Address
	var addr []string
	for _, l := range []string{a.Street + " " + a.HouseNumber, a.AddressLine1, a.AddressLine2, a.PostalCode + " " + a.City, a.CountryCode} {
		if len(l) > 1 || (len(l) == 1 && l != " ") {
			addr = append(addr, l)
		}
	}
	return userLine{ClientExtID: u.ClientExtID, ExtID: u.ExtID, LoginID: u.LoginID, State: string(u.State),
		Name: joinName(u.Name.FirstName, u.Name.FamilyName), Email: u.Contacts.Email, Language: u.LanguageCode, Address: addr}
}

func joinName(first, family string) string {
	switch {
	case first == "":
		return family
	case family == "":
		return first
	}
	return first + " " + family
}

// searchLimit is how many users a search shows: the operator narrows a search that finds more.
const searchLimit = 50

// searchUsers finds the client's users whose extId is q or whose loginId, names or e-mail start
// with q, through the directory's ListUsers (right UserView, the caller's data room).
func searchUsers(ctx context.Context, uc *appdirectory.ListUsers, c caller.Caller, client, q string) ([]userLine, bool, error) {
	res, err := uc.Do(ctx, appdirectory.ListUsersQuery{Caller: c, ClientExtID: client,
		Filter: appdirectory.UserFilter{Search: q}, Page: listing.Page{Limit: searchLimit}})
	if err != nil {
		return nil, false, err
	}
	lines := make([]userLine, len(res.Items))
	for i, u := range res.Items {
		lines[i] = userLineOf(u)
	}
	return lines, res.Next != nil, nil
}

// userOf reads one user (right UserView).
func userOf(ctx context.Context, uc *appdirectory.GetUser, c caller.Caller, client, user string) (userLine, error) {
	u, err := uc.Do(ctx, appdirectory.GetUserQuery{Caller: c, ClientExtID: client, UserExtID: user})
	return userLineOf(u), err
}
