package upstream

import (
	"testing"
)

func TestConstraints(t *testing.T) {
	tests := []struct {
		format, constraint string
		match, noMatch     []string
	}{
		{"npm", "^1.2.3", []string{"1.2.3", "1.9.0"}, []string{"1.2.2", "2.0.0", "2.0.0-0", "1.3.0-beta.1"}},
		{"npm", "^0.2.3", []string{"0.2.3", "0.2.9"}, []string{"0.3.0", "0.2.2"}},
		{"npm", "^0.0.3", []string{"0.0.3"}, []string{"0.0.4"}},
		{"npm", "~1.2.3", []string{"1.2.3", "1.2.9"}, []string{"1.3.0", "1.2.2"}},
		{"npm", "~1", []string{"1.0.0", "1.9.9"}, []string{"2.0.0"}},
		{"npm", ">=1.2 <2", []string{"1.2.0", "1.99.0"}, []string{"1.1.9", "2.0.0"}},
		{"npm", ">= 1.2.0 < 2", []string{"1.2.0"}, []string{"2.0.0"}},
		{"npm", "1.x || >=3.1.0", []string{"1.0.0", "1.5.2", "3.1.0", "4.0.0"}, []string{"2.0.0", "3.0.9"}},
		{"npm", "1.2.*", []string{"1.2.0", "1.2.7"}, []string{"1.3.0"}},
		{"npm", "*", []string{"0.0.1", "9.9.9"}, []string{"1.0.0-rc.1", "not-a-version"}},
		{"npm", "", []string{"7.0.0"}, nil},
		{"npm", "1.0.0 - 1.2", []string{"1.0.0", "1.2.9"}, []string{"1.3.0"}},
		{"npm", ">1.2", []string{"1.3.0"}, []string{"1.2.9"}},
		{"npm", "<=1.2", []string{"1.2.9"}, []string{"1.3.0"}},
		{"npm", "7.0.0", []string{"7.0.0"}, []string{"7.0.1"}},
		{"npm", ">=2.0.0-beta.1 <3", []string{"2.0.0-beta.2", "2.1.0"}, []string{"2.1.0-beta.1"}},

		{"pypi", ">=1.0,<2", []string{"1.0", "1.9.post1"}, []string{"0.9", "2.0"}},
		{"pypi", "~=1.4.2", []string{"1.4.2", "1.4.9"}, []string{"1.5.0", "1.4.1"}},
		{"pypi", "~=1.4", []string{"1.4", "1.9"}, []string{"2.0"}},
		{"pypi", "==1.4.*", []string{"1.4", "1.4.0", "1.4.5"}, []string{"1.5", "1.40"}},
		{"pypi", "!=1.5", []string{"1.4", "1.5.1"}, []string{"1.5", "1.5.0"}},
		{"pypi", "==1.0", []string{"1.0", "1.0.0", "1.0+local"}, []string{"1.0.1"}},
		{"pypi", "===1.0", []string{"1.0"}, []string{"1.0.0"}},

		{"apt", ">= 3.20, << 3.24", []string{"3.20", "3.23-1", "3.23+nmu1", "3.24~rc1"}, []string{"3.19", "3.24", "3.24-1"}},
		{"apt", "= 1.0-1", []string{"1.0-1"}, []string{"1.0-2"}},
		{"apt", ">>1:0", []string{"1:0.1"}, []string{"9.9"}},

		{"yum", ">= 1.2", []string{"1.2-1", "1.3-1"}, []string{"1.1-9"}},
		{"yum", "= 1.2", []string{"1.2-1", "1.2-5"}, []string{"1.3-1"}},
		{"yum", "< 2, > 1.0-1", []string{"1.0-2", "1.9-1"}, []string{"1.0-1", "2.0-1"}},
		{"yum", ">= 1:0", []string{"1:0.5-1"}, []string{"9.0-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.format+" "+tt.constraint, func(t *testing.T) {
			c, err := ParseConstraint(tt.format, tt.constraint)
			if err != nil {
				t.Fatalf("ParseConstraint(%q, %q): %v", tt.format, tt.constraint, err)
			}
			for _, v := range tt.match {
				if !c.Match(v) {
					t.Errorf("%q does not match %q, want match", tt.constraint, v)
				}
			}
			for _, v := range tt.noMatch {
				if c.Match(v) {
					t.Errorf("%q matches %q, want no match", tt.constraint, v)
				}
			}
		})
	}
}

func TestConstraintErrors(t *testing.T) {
	tests := []struct{ format, constraint string }{
		{"npm", "^x.y.z.w"},
		{"pypi", "=>1.0"},
		{"pypi", "~=1"},
		{"apt", "> 1.0"},
		{"apt", ">= "},
		{"yum", "1.0"},
	}
	for _, tt := range tests {
		if _, err := ParseConstraint(tt.format, tt.constraint); err == nil {
			t.Errorf("ParseConstraint(%q, %q) = nil error, want one", tt.format, tt.constraint)
		}
	}
}
