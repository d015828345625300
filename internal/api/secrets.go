package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/secrets"
	"github.com/opentc/tc/pkg/tc"
)

// SecretsAPI serves secret sets. Values go in (PUT) and come out only
// through GET /api/secret-sets/{set}/values, to API tokens holding
// secrets:read on that set: it is the URL of Telegraf's secretstores.http
// plugin. No route is in an endpoint group: secrets always need
// credentials.
type SecretsAPI struct {
	svc *secrets.Service
}

// NewSecretsAPI returns the secrets feature.
func NewSecretsAPI(svc *secrets.Service) *SecretsAPI { return &SecretsAPI{svc: svc} }

// Routes implements Feature.
func (a *SecretsAPI) Routes() []Route {
	r, w := tc.Perm(tc.ResSecrets, tc.ActRead), tc.Perm(tc.ResSecrets, tc.ActWrite)
	return []Route{
		{Method: "GET", Path: "/api/secret-sets", Perm: w, Summary: "List secret sets (names, counts, cipher; never values)", Handler: a.listSets},
		{Method: "DELETE", Path: "/api/secret-sets/:set", Perm: w, Summary: "Delete a secret set and its secrets", Handler: a.deleteSet},
		{Method: "PUT", Path: "/api/secret-sets/:set/cipher", Perm: w, Summary: "Set a set's transit cipher (none or AES256/CBC/PKCS#7); the new key and IV are in the answer only", Handler: a.setCipher},
		{Method: "GET", Path: "/api/secret-sets/:set/secrets", Perm: w, Summary: "List a set's secrets: names, versions, who changed them and when (never values)", Handler: a.listSecrets},
		{Method: "PUT", Path: "/api/secret-sets/:set/secrets/:name", Perm: w, Summary: "Create or replace a secret (write-only: the value is never returned)", Handler: a.putSecret},
		{Method: "DELETE", Path: "/api/secret-sets/:set/secrets/:name", Perm: w, Summary: "Delete a secret", Handler: a.deleteSecret},
		{Method: "GET", Path: "/api/secret-sets/:set/values", Perm: r, Summary: "The set's values as Telegraf's secretstores.http reads them (API tokens with secrets:read on the set)", Handler: a.values},
	}
}

func (a *SecretsAPI) listSets(c *fiber.Ctx) error {
	out, err := a.svc.ListSets(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(tc.List[tc.SecretSet]{Items: out, Total: len(out), Limit: len(out)})
}

func (a *SecretsAPI) listSecrets(c *fiber.Ctx) error {
	out, err := a.svc.ListSecrets(ctx(c), c.Params("set"))
	if err != nil {
		return err
	}
	return c.JSON(tc.List[tc.Secret]{Items: out, Total: len(out), Limit: len(out)})
}

func (a *SecretsAPI) putSecret(c *fiber.Ctx) error {
	var req tc.SetSecretRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, created, err := a.svc.SetSecret(ctx(c), principal(c).Actor(), c.Params("set"), c.Params("name"), req.Value)
	if err != nil {
		return err
	}
	if created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(out)
}

func (a *SecretsAPI) deleteSecret(c *fiber.Ctx) error {
	if err := a.svc.DeleteSecret(ctx(c), principal(c).Actor(), c.Params("set"), c.Params("name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *SecretsAPI) deleteSet(c *fiber.Ctx) error {
	if err := a.svc.DeleteSet(ctx(c), principal(c).Actor(), c.Params("set")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *SecretsAPI) setCipher(c *fiber.Ctx) error {
	var req tc.SecretCipherRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.SetCipher(ctx(c), principal(c).Actor(), c.Params("set"), req.Cipher)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (a *SecretsAPI) values(c *fiber.Ctx) error {
	set := c.Params("set")
	if err := tc.CheckSecretSet(set); err != nil {
		return err
	}
	if err := auth.CanReadSecretValues(principal(c), set); err != nil {
		return err
	}
	out, err := a.svc.Values(ctx(c), set)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}
