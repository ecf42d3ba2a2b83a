package httpapi

import (
	"github.com/gin-gonic/gin"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
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
func policyPath(c *gin.Context) (pathKey, error) { return underClient(c, "policyExtId") }

// optionalPtr turns a PATCH member into a pointer: nil when absent, the zero value for null.
func optionalPtr[T any](o optional[T]) *T {
	if !o.set {
		return nil
	}
	v := o.value
	return &v
}

func policiesWire(res listing.Result[credential.Policy]) listJSON[policyJSON] {
	return listOf(res, policyWire)
}

func policyLocation(p credential.Policy) string {
	return corePath + "/" + p.ClientExtID + "/policies/" + p.ExtID
}

// createPolicyBody is the body of POST /{clientExtId}/policies.
type createPolicyBody struct {
	ExtID         *string           `json:"extId"`
	Name          string            `json:"name"`
	Description   string            `json:"description"`
	PolicyType    *string           `json:"policyType"`
	DefaultPolicy bool              `json:"defaultPolicy"`
	Parameters    map[string]string `json:"parameters"`
	Version       version           `json:"version"`
}

func createPolicyCommand(c *gin.Context) (appcredential.CreatePolicyCommand, error) {
	clientID, body, err := withBody[createPolicyBody](c, clientPath)
	if err != nil {
		return appcredential.CreatePolicyCommand{}, err
	}
	extID, err := requestedExtID(body.ExtID)
	return appcredential.CreatePolicyCommand{Caller: callerOf(c), ClientExtID: clientID, ExtID: extID,
		Name: body.Name, Description: body.Description, PolicyType: body.PolicyType, Default: body.DefaultPolicy,
		Parameters: body.Parameters}, err
}

func getPolicyQuery(c *gin.Context) (appcredential.GetPolicyQuery, error) {
	p, err := policyPath(c)
	return appcredential.GetPolicyQuery{Caller: callerOf(c), ClientExtID: p.client, ExtID: p.id}, err
}

func listPoliciesQuery(c *gin.Context) (appcredential.ListPoliciesQuery, error) {
	clientID, page, err := withPage(c, clientPath)
	return appcredential.ListPoliciesQuery{Caller: callerOf(c), ClientExtID: clientID, Page: page}, err
}

// modifyPolicyBody is the body of PATCH /{clientExtId}/policies/{policyExtId}: members present
// replace the stored ones, parameters whole (null or {} is every default); null clears
// description and defaultPolicy.
type modifyPolicyBody struct {
	Name          optional[string]            `json:"name"`
	Description   optional[string]            `json:"description"`
	DefaultPolicy optional[bool]              `json:"defaultPolicy"`
	Parameters    optional[map[string]string] `json:"parameters"`
	Version       version                     `json:"version"`
}

func modifyPolicyCommand(c *gin.Context) (appcredential.ModifyPolicyCommand, error) {
	p, body, err := withBody[modifyPolicyBody](c, policyPath)
	if err != nil {
		return appcredential.ModifyPolicyCommand{}, err
	}
	var params map[string]string // nil: unchanged
	if body.Parameters.set {
		if params = body.Parameters.value; params == nil {
			params = map[string]string{}
		}
	}
	return appcredential.ModifyPolicyCommand{Caller: callerOf(c), ClientExtID: p.client, ExtID: p.id,
		Name: optionalPtr(body.Name), Description: optionalPtr(body.Description),
		Default: optionalPtr(body.DefaultPolicy), Parameters: params, Version: body.Version.value}, nil
}

func deletePolicyCommand(c *gin.Context) (appcredential.DeletePolicyCommand, error) {
	p, err := policyPath(c)
	return appcredential.DeletePolicyCommand{Caller: callerOf(c), ClientExtID: p.client, ExtID: p.id}, err
}
