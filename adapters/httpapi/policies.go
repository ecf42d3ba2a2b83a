package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
)

// policyJSON is an OTPCardPolicy; parameters always carry every parameter in effect.
type policyJSON struct {
	ExtID         string            `json:"extId"`
	ClientExtID   string            `json:"clientExtId"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	PolicyType    string            `json:"policyType"`
	DefaultPolicy bool              `json:"defaultPolicy"`
	Parameters    map[string]string `json:"parameters"`
	Created       string            `json:"created"`
	LastModified  string            `json:"lastModified"`
	Version       int32             `json:"version"`
}

func policyWire(p credential.Policy) policyJSON {
	return policyJSON{ExtID: p.ExtID, ClientExtID: p.ClientExtID, Name: p.Name, Description: p.Description,
		PolicyType: credential.PolicyType, DefaultPolicy: p.Default, Parameters: p.Parameters.Map(),
		Created: timeJSON(p.Created), LastModified: timeJSON(p.LastModified), Version: p.Version}
}

// policyPath reads the client and policy of a policy path.
func policyPath(c *gin.Context) (string, string, error) {
	clientID, err := pathID(c, "clientExtId")
	if err != nil {
		return "", "", err
	}
	policyID, err := pathID(c, "policyExtId")
	return clientID, policyID, err
}

// optionalPtr turns a PATCH member into a pointer: nil when absent, the zero value for null.
func optionalPtr[T any](o optional[T]) *T {
	if !o.set {
		return nil
	}
	v := o.value
	return &v
}

// createPolicy is POST /{clientExtId}/policies.
func (s *server) createPolicy(c *gin.Context) {
	clientID, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct {
		ExtID         *string           `json:"extId"`
		Name          string            `json:"name"`
		Description   string            `json:"description"`
		PolicyType    *string           `json:"policyType"`
		DefaultPolicy bool              `json:"defaultPolicy"`
		Parameters    map[string]string `json:"parameters"`
		Version       version           `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	extID, err := requestedExtID(body.ExtID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	p, err := s.Policies.CreatePolicy(c.Request.Context(), appcredential.CreatePolicyCommand{
		Caller: callerOf(c), ClientExtID: clientID, ExtID: extID, Name: body.Name,
		Description: body.Description, PolicyType: body.PolicyType, Default: body.DefaultPolicy,
		Parameters: body.Parameters})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", corePath+"/"+p.ClientExtID+"/policies/"+p.ExtID)
	c.JSON(http.StatusCreated, policyWire(p))
}

// getPolicy is GET /{clientExtId}/policies/{policyExtId}.
func (s *server) getPolicy(c *gin.Context) {
	clientID, policyID, err := policyPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	p, err := s.Policies.GetPolicy(c.Request.Context(), callerOf(c), clientID, policyID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, policyWire(p))
}

// listPolicies is GET /clients/{clientExtId}/policies.
func (s *server) listPolicies(c *gin.Context) {
	clientID, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.Policies.ListPolicies(c.Request.Context(), callerOf(c), clientID, page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(res, page, policyWire))
}

// modifyPolicy is PATCH /{clientExtId}/policies/{policyExtId}: members present replace the stored
// ones, parameters whole (null or {} is every default); null clears description and defaultPolicy.
func (s *server) modifyPolicy(c *gin.Context) {
	clientID, policyID, err := policyPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct {
		Name          optional[string]            `json:"name"`
		Description   optional[string]            `json:"description"`
		DefaultPolicy optional[bool]              `json:"defaultPolicy"`
		Parameters    optional[map[string]string] `json:"parameters"`
		Version       version                     `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	var params map[string]string // nil: unchanged
	if body.Parameters.set {
		if params = body.Parameters.value; params == nil {
			params = map[string]string{}
		}
	}
	p, err := s.Policies.ModifyPolicy(c.Request.Context(), appcredential.ModifyPolicyCommand{
		Caller: callerOf(c), ClientExtID: clientID, ExtID: policyID,
		Name: optionalPtr(body.Name), Description: optionalPtr(body.Description),
		Default: optionalPtr(body.DefaultPolicy), Parameters: params, Version: body.Version.value})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, policyWire(p))
}

// deletePolicy is DELETE /{clientExtId}/policies/{policyExtId}.
func (s *server) deletePolicy(c *gin.Context) {
	clientID, policyID, err := policyPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.Policies.DeletePolicy(c.Request.Context(), callerOf(c), clientID, policyID); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
