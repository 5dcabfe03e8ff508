Console.WriteLine("healthflow: under construction");
