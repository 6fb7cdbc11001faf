// Package plot assembles pcapframe's charts from the aggregates of package agg: it names them (title, subtitle,
// axis and unit) and turns an agg result into a chart.Chart ready to draw. `pcapframe plot` is a thin caller of
// Make, and the HTML report takes its titles, axis names and units from the same functions (Labels), so a chart
// reads the same in an image and on the page.
//
// Nothing here draws (package chart does) or writes SQL (package agg does); Make only runs agg's queries on the
// engine it is given.
package plot
