package bootstrap_test

import (
	"testing"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
