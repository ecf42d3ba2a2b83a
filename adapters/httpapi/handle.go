package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
)

// useCase is the one call shape of every use case: a command in, a result or an error out.
type useCase[C, R any] interface {
	Do(ctx context.Context, cmd C) (R, error)
}

// writeErr answers an error as a problem.
type writeErr func(c *gin.Context, err error)

// serve is the handler of one route, made of what the route uses and nothing else: decode reads
// the request into the use case's command, the use case decides, encode answers. An error of
// either step is answered as a problem. Handlers hold no business rule.
func serve[C, R any](w writeErr, uc useCase[C, R], decode func(*gin.Context) (C, error), encode func(*gin.Context, R)) gin.HandlerFunc {
	return func(c *gin.Context) {
		cmd, err := decode(c)
		if err != nil {
			w(c, err)
			return
		}
		res, err := uc.Do(c.Request.Context(), cmd)
		if err != nil {
			w(c, err)
			return
		}
		encode(c, res)
	}
}

// ok answers 200 with the result's wire form.
func ok[R, W any](wire func(R) W) func(*gin.Context, R) {
	return func(c *gin.Context, res R) { c.JSON(http.StatusOK, wire(res)) }
}

// created answers 201 with the new entity's Location and its wire form.
func created[R, W any](location func(R) string, wire func(R) W) func(*gin.Context, R) {
	return func(c *gin.Context, res R) {
		c.Header("Location", location(res))
		c.JSON(http.StatusCreated, wire(res))
	}
}

// noContent answers 204, as a delete does.
func noContent[R any](c *gin.Context, _ R) { c.Status(http.StatusNoContent) }
