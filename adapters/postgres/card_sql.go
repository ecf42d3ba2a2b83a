package postgres

// The statements the card store runs on every request, as SQL text, each prepared once per
// connection (see preparedQuery): card reads for GET and list, the locks of replace, PATCH and
// delete, the user's cards with their policies and holder for challenge and login, and the card
// updates. Their columns are written out so that a reader sees exactly what each one touches.

// cardColumns are the columns of a card (cardRow), as every read selects them.
const cardColumns = `c.ext_id, c.client_ext_id, c.user_ext_id, c.policy_ext_id, c.serial_number, c.state, c.state_change_reason,
	c.state_change_detail, c.valid_from, c.valid_to, c.last_successful_login, c.last_failed_login,
	c.successful_login_count, c.failed_login_count, c.modification_comment, c.grid_rows, c.grid_cols,
	c.cell_length, c.cell_charset, c.coordinate_format, c.verifier_scheme, c.salt, c.verifiers, c.uses,
	c.challenge, c.locked_until, c.resume_state, c.created, c.last_modified, c.version,
	c.predecessor_ext_id, c.successor_ext_id, c.renewed_at, c.close_to_expiry_announced, c.expiry_announced`

// cardByKeySQL reads the card under its path: $1 extId, $2 user, $3 client.
const cardByKeySQL = `SELECT ` + cardColumns + `
	FROM otp_cards AS c
	WHERE c.ext_id = $1 AND c.user_ext_id = $2 AND c.client_ext_id = $3`

// lockCardByKeySQL reads and locks the card under its path for a change.
const lockCardByKeySQL = cardByKeySQL + `
	FOR UPDATE`

// userCardColumns are userCardRow's columns: a card's (c), its policy's (p, as policy__*) and its
// holder's state (h).
const userCardColumns = cardColumns + `,
	p.ext_id AS policy__ext_id, p.client_ext_id AS policy__client_ext_id, p.name AS policy__name,
	p.description AS policy__description, p.policy_type AS policy__policy_type,
	p.default_policy AS policy__default_policy, p.parameters AS policy__parameters,
	p.created AS policy__created, p.last_modified AS policy__last_modified, p.version AS policy__version,
	h.state AS holder_state`

// lockUserCardsSQL reads and locks the cards of user $1 in client $2, oldest first (the order
// every transaction that locks several of a user's cards keeps, so that none deadlock), each with
// its policy (policyRow's columns as policy__*, only the cards are locked) and the state of
// their holder.
const lockUserCardsSQL = `SELECT ` + userCardColumns + `
	FROM otp_cards AS c
	JOIN policies AS p ON p.ext_id = c.policy_ext_id
	JOIN holders AS h ON h.ext_id = c.user_ext_id
	WHERE c.user_ext_id = $1 AND c.client_ext_id = $2
	ORDER BY c.created, c.ext_id
	FOR UPDATE OF c`

// userCardsPageSQL reads the first page of $3 cards of user $1 in client $2, oldest first.
const userCardsPageSQL = `SELECT ` + cardColumns + `
	FROM otp_cards AS c
	WHERE c.user_ext_id = $1 AND c.client_ext_id = $2
	ORDER BY c.created, c.ext_id
	LIMIT $3`

// userCardsPageAfterSQL reads the next page, after the cursor ($4 created, $5 extId).
const userCardsPageAfterSQL = `SELECT ` + cardColumns + `
	FROM otp_cards AS c
	WHERE c.user_ext_id = $1 AND c.client_ext_id = $2 AND (c.created, c.ext_id) > ($4, $5)
	ORDER BY c.created, c.ext_id
	LIMIT $3`

// cardBySerialSQL reads the card with serial number $1 in client $2 (the unique index
// otp_cards_serial); $3 is its user, or empty for any user of the client.
const cardBySerialSQL = `SELECT ` + cardColumns + `
	FROM otp_cards AS c
	WHERE c.serial_number = $1 AND c.client_ext_id = $2 AND ($3 = '' OR c.user_ext_id = $3)`

// holderSQL tells whether client $1 exists (it has its default policy, see PolicyStore) and the
// state of user $2 in it, null when the user holds no place there.
const holderSQL = `SELECT
	EXISTS (SELECT 1 FROM policies WHERE client_ext_id = $1 AND default_policy) AS client,
	(SELECT state FROM holders WHERE ext_id = $2 AND client_ext_id = $1) AS usr`

// updateCardStateSQL saves a card whose grid stayed the same (challenge, login, PATCH, the
// lifecycle job's announcements), guarded by the version it was loaded at: $22 extId, $23 that
// version. The grid's columns are left out
// on purpose: a card's verifiers (2.7 KB at default settings) live out of line in TOAST storage,
// and setting them, even to the same bytes, would write a new TOAST value and its index entries
// on every challenge and login.
const updateCardStateSQL = `UPDATE otp_cards SET
	state = $1, state_change_reason = $2, state_change_detail = $3, valid_from = $4, valid_to = $5,
	last_successful_login = $6, last_failed_login = $7, successful_login_count = $8,
	failed_login_count = $9, modification_comment = $10, uses = $11, challenge = $12,
	locked_until = $13, resume_state = $14, last_modified = $15, version = $16, policy_ext_id = $17,
	successor_ext_id = $18, renewed_at = $19, close_to_expiry_announced = $20, expiry_announced = $21
	WHERE ext_id = $22 AND version = $23`

// updateCardWithGridSQL saves a card with a new grid and serial number (replace), guarded like
// updateCardStateSQL: $31 extId, $32 the version it was loaded at.
const updateCardWithGridSQL = `UPDATE otp_cards SET
	state = $1, state_change_reason = $2, state_change_detail = $3, valid_from = $4, valid_to = $5,
	last_successful_login = $6, last_failed_login = $7, successful_login_count = $8,
	failed_login_count = $9, modification_comment = $10, uses = $11, challenge = $12,
	locked_until = $13, resume_state = $14, last_modified = $15, version = $16, policy_ext_id = $17,
	successor_ext_id = $18, renewed_at = $19, close_to_expiry_announced = $20, expiry_announced = $21,
	grid_rows = $22, grid_cols = $23, cell_length = $24, cell_charset = $25, coordinate_format = $26,
	verifier_scheme = $27, salt = $28, verifiers = $29, serial_number = $30
	WHERE ext_id = $31 AND version = $32`

// serialIndex is the unique index of the cards' serial numbers (migration 0006).
const serialIndex = "otp_cards_serial"
