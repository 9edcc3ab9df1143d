package registry

// ClassifyForTest explains err as a failed GET /v2/ would be explained.
func ClassifyForTest(c Credentials, op string, err error) error {
	ck := &checker{c: c, res: &Result{}, timeout: DefaultCheckTimeout}
	e := ck.connectError(err)
	e.Op = op
	return e
}
