package smartcard

// InspectReader is the survey of one reader, so that a test surveys its own
// card and sends nothing to another test's.
func (c *Context) InspectReader(reader string) CardReport {
	rep := CardReport{Reader: reader, CardPresent: true}
	rep.Err = c.inspect(&rep)
	return rep
}
