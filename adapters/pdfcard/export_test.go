package pdfcard

// ShownText is shownText for the tests of package pdfcard_test.
var ShownText = shownText
